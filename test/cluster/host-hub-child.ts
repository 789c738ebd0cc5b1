// A HostHub in a process of its own, serving the parent over Node's IPC channel: the contract
// suites reach the in-host cluster through a real IPC pipe, as workers reach their primary.
import { HostHub } from '../../src/cluster/host-hub.js';
import type { HostPort } from '../../src/cluster/host-port.js';

new HostHub().attach(process as unknown as HostPort);
