import { spawn, type ChildProcess } from 'node:child_process';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A server the test starts as a child process (`php -S`, `php artisan serve`, …), in a process group of
 * its own: PHP_CLI_SERVER_WORKERS forks workers, and `artisan serve` starts `php -S` as its child, and
 * both outlive a signal to the parent alone. Its output is drained (a full pipe would block the server)
 * and the tail is kept for failure messages.
 */
export class ServerProcess {
  private tail = '';
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly child: ChildProcess;

  constructor(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
    this.child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString()).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.child.on('exit', (code, signal) => (this.exited = { code, signal }));
  }

  /** The last 20,000 characters the server wrote. */
  output(): string {
    return this.tail;
  }

  /** Polls `probe` every 100 ms until it holds; fails with the server's output on timeout or exit. */
  async until(probe: () => Promise<boolean>, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe().catch(() => false))) {
      if (this.exited) throw new Error(`the server exited (${this.exited.code ?? this.exited.signal}) while waiting for ${what}; it said:\n${this.tail.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the server said:\n${this.tail.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits until an HTTP GET of `url` answers `status`. */
  answering(url: string, status = 200): Promise<void> {
    return this.until(async () => (await fetch(url, { redirect: 'manual' })).status === status, `${url} answering ${status}`);
  }

  /** SIGTERM to the whole group; resolves once the parent has exited. */
  async stop(): Promise<void> {
    if (this.child.pid === undefined || this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      process.kill(-this.child.pid, 'SIGTERM');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return; // the group is already gone
      throw e;
    }
    await gone;
  }
}
