import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigSchema } from '../../src/ops/config.js';
import { CliProcess, runToEnd } from '../helpers/cli-process.js';
import { RawClient } from '../helpers/raw-client.js';

const UNIT = 'examples/systemd/switchboard.service';
const INSTALLED_BIN = '/usr/local/bin/switchboard';

/** The unit's `[Service]` keys (the last value of each wins, as in systemd). */
function serviceSection(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1] ?? '';
    else if (section === 'Service') {
      const eq = line.indexOf('=');
      keys.set(line.slice(0, eq), line.slice(eq + 1));
    }
  }
  return keys;
}

describe('examples/systemd/switchboard.service', () => {
  let tmp: string;
  let unitText: string;
  let service: Map<string, string>;
  /** An executable standing in for the installed `switchboard` command. */
  let bin: string;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'switchboard-systemd-'));
    unitText = await readFile(UNIT, 'utf8');
    service = serviceSection(unitText);
    bin = join(tmp, 'switchboard');
    await writeFile(bin, `#!/bin/sh\nexec '${process.execPath}' '${join(process.cwd(), 'dist/src/cli/main.js')}' "$@"\n`);
    await chmod(bin, 0o755);
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('passes systemd-analyze verify without a warning', async () => {
    // verify checks that ExecStart's program exists: the copy points at a real executable.
    assert.ok(unitText.includes(`ExecStart=${INSTALLED_BIN} `), 'the unit runs the installed command');
    const copy = join(tmp, 'switchboard.service');
    await writeFile(copy, unitText.replaceAll(INSTALLED_BIN, bin));
    const res = await runToEnd('systemd-analyze', ['verify', copy]);
    assert.equal(res.code, 0, res.stderr);
    // Unknown keys and bad values are warnings with exit status 0: there must be none.
    assert.equal(res.stderr.trim(), '');
  });

  it('runs as its own user, restarts on failure, allows many sockets and outlasts the drain', () => {
    assert.equal(service.get('User'), 'switchboard');
    assert.equal(service.get('Restart'), 'on-failure');
    assert.equal(service.get('RestartPreventExitStatus'), '78', 'a configuration error (exit 78) is not retried');
    assert.ok(Number(service.get('LimitNOFILE')) >= 20_000, 'LimitNOFILE allows the 20k sockets one process holds');
    assert.equal(service.get('KillSignal'), 'SIGTERM');
    assert.equal(service.get('ExecReload'), '/bin/kill -HUP $MAINPID');
    const drainSeconds = ConfigSchema.parse({}).shutdownTimeoutSeconds + 2; // plus the webhooks' last 2 s
    assert.ok(Number(service.get('TimeoutStopSec')) > drainSeconds, `TimeoutStopSec ${service.get('TimeoutStopSec')} > ${drainSeconds}`);
  });

  it("keeps serving through ExecReload's SIGHUP and drains with 4200 on stop within TimeoutStopSec", async () => {
    const config = join(tmp, 'switchboard.json');
    await writeFile(config, JSON.stringify({ port: 0, admin: { enabled: false } }));
    const [program, ...args] = (service.get('ExecStart') ?? '').split(/\s+/).map((word) => (word === INSTALLED_BIN ? bin : word === '/etc/switchboard/switchboard.json' ? config : word));
    assert.equal(program, bin);
    const cli = CliProcess.spawn(bin, args);
    try {
      const port = (await cli.logLine('switchboard listening'))['port'] as number;
      const { client } = await RawClient.established(port);
      cli.proc.kill('SIGHUP');
      await cli.logLine('reload: nothing to reload without TLS');
      client.send({ event: 'pusher:ping', data: {} });
      await client.next('pusher:pong');
      const stopped = Date.now();
      cli.proc.kill('SIGTERM');
      assert.equal((await client.closed).code, 4200);
      assert.equal(await cli.exited, 0, cli.stderr);
      assert.ok(Date.now() - stopped < Number(service.get('TimeoutStopSec')) * 1000);
    } finally {
      if (cli.proc.exitCode === null) await cli.stop('SIGKILL');
    }
  });
});
