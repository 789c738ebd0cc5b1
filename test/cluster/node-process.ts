import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface NodeProcessOptions {
  /** Without it the node runs on the in-memory (or, with --workers, in-host) state. */
  readonly redisUrl?: string;
  readonly prefix?: string;
  /** Extra command-line arguments for `switchboard start`. */
  readonly args?: readonly string[];
  readonly apps?: unknown[];
  readonly heartbeatSeconds?: number;
  readonly nodeTtlSeconds?: number;
  /** Extra SWITCHBOARD_* variables. */
  readonly env?: Record<string, string>;
}

/**
 * One gateway node as its own process (`switchboard start --adapter redis`), on a free port, with
 * its JSON log lines kept so a test can wait for one.
 */
export class NodeProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly stderr: string[] = [];
  private waiters: Array<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  readonly exited: Promise<number | null>;
  port = 0;

  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      this.lines.push(line);
      for (const w of [...this.waiters]) {
        if (w.match(line)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
    createInterface({ input: child.stderr! }).on('line', (text) => this.stderr.push(text));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Spawns a node; `listening` resolves once it serves (which needs Redis when one is given). */
  static spawn(options: NodeProcessOptions): NodeProcess {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      SWITCHBOARD_LOG_LEVEL: 'info',
      SWITCHBOARD_ADMIN__ENABLED: 'false',
      SWITCHBOARD_REDIS__PREFIX: options.prefix ?? 'switchboard:',
      SWITCHBOARD_REDIS__HEARTBEAT_SECONDS: String(options.heartbeatSeconds ?? 0.25),
      SWITCHBOARD_REDIS__NODE_TTL_SECONDS: String(options.nodeTtlSeconds ?? 2),
    };
    if (options.apps) env['SWITCHBOARD_APPS'] = JSON.stringify(options.apps);
    Object.assign(env, options.env);
    const adapter = options.redisUrl ? ['--adapter', 'redis', '--redis-url', options.redisUrl] : [];
    const child = spawn(process.execPath, ['dist/src/cli/main.js', 'start', '--port', '0', ...adapter, ...(options.args ?? [])], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new NodeProcess(child);
  }

  /** Resolves once `count` log lines (past or future) match; with the last of them. */
  async waitForCount(match: (line: Record<string, unknown>) => boolean, count: number, what: string, timeoutMs = 20_000): Promise<Array<Record<string, unknown>>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.lines.filter(match);
      if (seen.length >= count) return seen;
      await this.waitFor((l) => match(l) && !seen.includes(l), what, Math.max(1, deadline - Date.now()));
    }
  }

  /** Resolves with the first log line (past or future) that matches. */
  waitFor(match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node did not log ${what} within ${timeoutMs} ms; stderr: ${this.stderr.join('\n')}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  async listening(timeoutMs = 20_000): Promise<number> {
    const line = await this.waitFor((l) => l['msg'] === 'switchboard listening', 'switchboard listening', timeoutMs);
    this.port = Number(line['port']);
    return this.port;
  }

  /** kill -9: no drain, no cleanup, as in a crash. */
  async crash(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait for the graceful exit. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}
