import { spawn, type ChildProcess } from 'node:child_process';

/** The environment without any SWITCHBOARD_* variable of the machine running the tests. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_'))), ...extra };
}

/** A running command (a `switchboard start`, compiled or installed), with its output collected. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  constructor(readonly proc: ChildProcess) {
    proc.stdout?.setEncoding('utf8').on('data', (s: string) => this.grew((this.stdout += s)));
    proc.stderr?.setEncoding('utf8').on('data', (s: string) => this.grew((this.stderr += s)));
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  }

  /** Spawns `command args…` with the clean environment (plus `env`). */
  static spawn(command: string, args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
    return new CliProcess(spawn(command, args, { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  private grew(_: string): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Waits for output (stdout or stderr) that satisfies `done`. */
  async waitFor<T>(what: string, done: () => T | undefined, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = done();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`no ${what}; stdout: ${this.stdout} stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for a JSON log line with this message and returns it. */
  logLine(msg: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return this.waitFor(
      `"${msg}" log line`,
      () => {
        for (const line of this.stdout.split('\n')) {
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry['msg'] === msg) return entry;
        }
        return undefined;
      },
      timeoutMs,
    );
  }

  /** Sends `signal` (SIGTERM: the graceful drain) and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.proc.kill(signal);
    return this.exited;
  }
}

/** Runs `command args…` to completion with the clean environment (plus `env`). */
export function runToEnd(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { env: cleanEnv(options.env), cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    proc.on('error', reject);
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
