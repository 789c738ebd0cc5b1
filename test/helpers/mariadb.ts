import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../cluster/redis-server.js';

const run = promisify(execFile);

/** InnoDB sized for a throwaway data directory: small files, one tablespace, no doublewrite, no fsync. */
const SERVER_ARGS = [
  '--innodb-log-file-size=4M',
  '--innodb-buffer-pool-size=16M',
  '--innodb-file-per-table=0',
  '--innodb-doublewrite=0',
  '--innodb-flush-log-at-trx-commit=0',
  '--innodb-flush-method=nosync',
  '--skip-name-resolve',
  '--skip-log-bin',
];

/**
 * A private MariaDB server for one test file: `mariadbd` on an empty temporary data directory, a free
 * loopback port and a socket in that directory, never the machine's own server (Debian's mariadb-server;
 * .ci/run installs it).
 *
 * It starts with `--skip-grant-tables` instead of after `mariadb-install-db`: the system tables (grants,
 * help, the sys schema) are what made the install take 2.6 s on a quiet machine and 12 s on a loaded one,
 * against 1.4 s and 3.6 s for this. So there are no accounts: any user name and password connect, and
 * databases are created with `sql()`.
 */
export class TestMariaDB {
  private output = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  get socket(): string {
    return join(this.dir, 'mysqld.sock');
  }

  static async start(): Promise<TestMariaDB> {
    const dir = await mkdtemp(join(tmpdir(), 'sb-mariadb-'));
    const data = join(dir, 'data');
    await mkdir(data);
    const user = process.getuid?.() === 0 ? 'root' : (process.env['USER'] ?? 'root');
    const port = await freePort();
    const child = spawn(
      'mariadbd',
      ['--no-defaults', `--datadir=${data}`, `--user=${user}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'mysqld.sock')}`, `--pid-file=${join(dir, 'mysqld.pid')}`, '--skip-grant-tables', ...SERVER_ARGS],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const db = new TestMariaDB(dir, port, child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mariadbd did not start:\n${db.output}`)), 30_000);
      const read = (chunk: Buffer): void => {
        db.output = (db.output + chunk.toString()).slice(-10_000);
        if (db.output.includes('ready for connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', read);
      child.stderr?.on('data', read);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`mariadbd exited with ${code}:\n${db.output}`));
      });
    });
    child.removeAllListeners('exit');
    return db;
  }

  /** Runs SQL through the `mariadb` client over the socket; resolves with its tab-separated output. */
  async sql(statements: string): Promise<string> {
    const { stdout } = await run('mariadb', ['--no-defaults', `--socket=${this.socket}`, '-uroot', '--batch', '--skip-column-names', '-e', statements]);
    return stdout;
  }

  /** Stops the server and removes its data directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
