// Decides when each network request may start: a global cap, a per-server cap, a minimum spacing between
// starts on one server, back-off windows per server (Retry-After, rate-limit answers), and merging of identical
// requests in flight. Requests wait in a per-server queue without holding a global slot, so a slow or
// rate-limited server delays only its own requests.
import type { ServerLimits } from './types.js';

/** The server is backing off past the caller's deadline: fail now instead of waiting for nothing. */
export class BackoffError extends Error {
  override name = 'BackoffError';
  constructor(
    readonly server: string,
    readonly until: number,
    /** Why the server is backing off: it said so (`rate-limited`) or it went silent (`timeout`). */
    readonly reason: BackoffCause = 'rate-limited',
  ) {
    super(`server ${server} is backing off`);
  }
}

export type BackoffCause = 'rate-limited' | 'timeout';

export interface SchedulerOptions {
  /** Requests running at once across all servers. */
  globalConcurrency: number;
  /** Limits for one server key (e.g. `whois:whois.denic.de:43`). Called once per key and cached. */
  limitsFor(server: string): ServerLimits;
  now?: () => number;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Requests with the same key share one execution while it is queued or running. */
  mergeKey?: string;
  /** Absolute time (ms, same clock as `now`) after which starting is pointless. */
  deadline?: number;
}

interface Job {
  server: string;
  task: (signal: AbortSignal) => Promise<unknown>;
  controller: AbortController;
  deadline: number;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

interface ServerState {
  limits: ServerLimits;
  active: number;
  nextStart: number;
  backoffUntil: number;
  backoffCause: BackoffCause;
  queue: Job[];
}

interface Shared {
  promise: Promise<unknown>;
  controller: AbortController;
  waiters: number;
}

export class Scheduler {
  private readonly servers = new Map<string, ServerState>();
  private readonly inflight = new Map<string, Shared>();
  private active = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly now: () => number;
  /** Highest number of requests observed running at once (for tests and benchmarks). */
  peakActive = 0;

  constructor(private readonly opts: SchedulerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Runs `task` when a global slot and a slot on `server` are free, spacing and back-off permitting.
   * Guarantees: at most `globalConcurrency` tasks run at once; at most `limits.concurrency` per server; two
   * starts on one server are at least `spacingMs` apart; no task starts inside a back-off window. Starts are
   * FIFO per server and round-robin across servers. The caller's abort rejects its promise at once; the
   * task itself is aborted (or dequeued) only when every caller merged onto it has aborted.
   */
  run<T>(server: string, task: (signal: AbortSignal) => Promise<T>, opts: RunOptions = {}): Promise<T> {
    const key = opts.mergeKey;
    let shared = key !== undefined ? this.inflight.get(key) : undefined;
    if (!shared) {
      const controller = new AbortController();
      let job!: Job;
      const promise = new Promise<unknown>((resolve, reject) => {
        job = { server, task, controller, deadline: opts.deadline ?? Infinity, resolve, reject };
      });
      const created: Shared = { promise, controller, waiters: 0 };
      shared = created;
      if (key !== undefined) {
        this.inflight.set(key, created);
        const forget = (): void => {
          if (this.inflight.get(key) === created) this.inflight.delete(key);
        };
        promise.then(forget, forget);
      }
      controller.signal.addEventListener('abort', () => this.dequeue(job, controller.signal.reason), { once: true });
      this.enqueue(job);
    }
    return this.join(shared, opts.signal) as Promise<T>;
  }

  /**
   * No request to `server` starts before now + ms (longer windows already in force are kept). `cause`
   * says why, so the requests it fails report the server's real trouble.
   */
  backoff(server: string, ms: number, cause: BackoffCause = 'rate-limited'): void {
    const st = this.state(server);
    const until = this.now() + ms;
    if (until >= st.backoffUntil) st.backoffCause = cause;
    st.backoffUntil = Math.max(st.backoffUntil, until);
    // Queued jobs whose deadline falls inside the window can only fail; tell them now.
    for (const job of [...st.queue]) {
      if (job.deadline < st.backoffUntil) this.dequeue(job, new BackoffError(server, st.backoffUntil, st.backoffCause));
    }
    this.pump();
  }

  /** When `server` may next be asked, or 0 when it is not backing off. */
  backoffUntil(server: string): number {
    const until = this.servers.get(server)?.backoffUntil ?? 0;
    return until > this.now() ? until : 0;
  }

  get running(): number {
    return this.active;
  }

  private join(shared: Shared, signal: AbortSignal | undefined): Promise<unknown> {
    shared.waiters++;
    if (!signal) return shared.promise;
    return new Promise((resolve, reject) => {
      const leave = (): void => {
        shared.waiters--;
        if (shared.waiters === 0) shared.controller.abort(signal.reason);
        reject(signal.reason);
      };
      if (signal.aborted) return leave();
      signal.addEventListener('abort', leave, { once: true });
      shared.promise.then(
        (v) => {
          signal.removeEventListener('abort', leave);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(e);
        },
      );
    });
  }

  private state(server: string): ServerState {
    let st = this.servers.get(server);
    if (!st) {
      st = { limits: this.opts.limitsFor(server), active: 0, nextStart: 0, backoffUntil: 0, backoffCause: 'rate-limited', queue: [] };
      this.servers.set(server, st);
    }
    return st;
  }

  private enqueue(job: Job): void {
    const st = this.state(job.server);
    if (st.backoffUntil > job.deadline) {
      job.reject(new BackoffError(job.server, st.backoffUntil, st.backoffCause));
      return;
    }
    st.queue.push(job);
    this.pump();
  }

  private dequeue(job: Job, reason: unknown): void {
    const st = this.servers.get(job.server);
    const i = st ? st.queue.indexOf(job) : -1;
    if (st && i >= 0) {
      st.queue.splice(i, 1);
      job.reject(reason);
    }
  }

  private pump(): void {
    const now = this.now();
    let wake = Infinity;
    while (this.active < this.opts.globalConcurrency) {
      let picked: string | undefined;
      wake = Infinity;
      for (const [name, st] of this.servers) {
        if (st.queue.length === 0 || st.active >= st.limits.concurrency) continue;
        const at = Math.max(st.nextStart, st.backoffUntil);
        if (at > now) {
          wake = Math.min(wake, at);
          continue;
        }
        picked = name;
        break;
      }
      if (picked === undefined) break;
      const st = this.servers.get(picked) as ServerState;
      // Round robin: move the served server to the back of the iteration order.
      this.servers.delete(picked);
      this.servers.set(picked, st);
      this.start(st, st.queue.shift() as Job, now);
    }
    if (this.active >= this.opts.globalConcurrency) wake = Infinity; // a finishing task pumps again
    this.arm(wake);
  }

  private arm(at: number): void {
    if (at === Infinity || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - this.now()));
  }

  private start(st: ServerState, job: Job, now: number): void {
    st.active++;
    this.active++;
    this.peakActive = Math.max(this.peakActive, this.active);
    st.nextStart = now + st.limits.spacingMs;
    let p: Promise<unknown>;
    try {
      p = job.task(job.controller.signal);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(job.resolve, job.reject).finally(() => {
      st.active--;
      this.active--;
      const t = this.now();
      // Forget idle servers, but only once their spacing and back-off windows have passed.
      if (st.queue.length === 0 && st.active === 0 && st.backoffUntil <= t && st.nextStart <= t) this.servers.delete(job.server);
      this.pump();
    });
  }
}
