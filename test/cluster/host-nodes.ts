import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { HostCluster } from '../../src/cluster/host-cluster.js';
import type { HostMessage, HostPort } from '../../src/cluster/host-port.js';
import { startNode, type ContractNode } from './contract.js';

/** A worker-side HostCluster whose HostHub runs in a forked process; closing it ends that process. */
export async function hostNode(): Promise<ContractNode> {
  const child = fork(fileURLToPath(new URL('./host-hub-child.js', import.meta.url)), { stdio: 'inherit', serialization: 'advanced' });
  const cluster = new HostCluster(child as unknown as HostPort);
  const close = cluster.close.bind(cluster);
  cluster.close = async () => {
    await close();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.disconnect();
    await exited;
  };
  return startNode(cluster);
}

/**
 * Two ends of an in-process pipe with IPC's properties (ordered, asynchronous, structured-cloned), for
 * tests that put several workers on one HostHub and cut one of them off.
 */
export function portPair(): { worker: HostPort; primary: HostPort; cut(): void } {
  const a = new EventEmitter();
  const b = new EventEmitter();
  let open = true;
  const end = (self: EventEmitter, other: EventEmitter): HostPort =>
    Object.assign(self, {
      send(message: HostMessage) {
        if (!open) throw new Error('channel closed');
        const copy: unknown = structuredClone(message);
        setImmediate(() => open && other.emit('message', copy));
        return true;
      },
    }) as unknown as HostPort;
  return {
    worker: end(a, b),
    primary: end(b, a),
    cut() {
      open = false;
      a.emit('disconnect');
      b.emit('disconnect');
    },
  };
}
