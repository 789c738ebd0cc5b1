import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { HostHub } from '../cluster/host-hub.js';
import type { HostPort } from '../cluster/host-port.js';
import type { Config } from '../ops/config.js';

/** Environment variable telling a worker its 1-based slot (slot 1 serves the admin listener). */
export const WORKER_SLOT_ENV = 'SB_WORKER_SLOT'; // not SWITCHBOARD_*: config reads those

/** `workers` from config as a count: `auto` is one per core the process may use. */
export function workerCount(config: Config): number {
  return config.workers === 'auto' ? availableParallelism() : config.workers;
}

/** A crash loop (a worker dying within this long of its start) backs off before the next fork. */
const CRASH_WINDOW_MS = 5000;
const MAX_BACKOFF_MS = 10_000;

/**
 * The primary of `switchboard start --workers N`: forks N workers that all listen on the one port
 * (Node's cluster module hands each new connection to one of them), keeps the host's shared state
 * for them in a `HostHub` unless Redis is configured, restarts a worker that dies (the hub hands its
 * presence and counts to a survivor, as Redis does for a dead node), restarts workers one at a time
 * on SIGHUP, and drains all of them on SIGTERM/SIGINT. Resolves with the exit code.
 */
export function runPrimary(config: Config, log: Logger, count: number): Promise<number> {
  const hub = config.adapter === 'local' ? new HostHub() : undefined;
  // Structured-clone IPC keeps `undefined` (absent user_info) apart from `null`, as Redis does.
  cluster.setupPrimary({ serialization: 'advanced' });
  const slots = new Map<Worker, number>();
  /** Workers being replaced on SIGHUP: their exit is expected, not a crash. */
  const retiring = new Set<Worker>();
  let stopping = false;
  let backoffMs = 0;

  const fork = (slot: number): Worker => {
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
    const started = Date.now();
    slots.set(worker, slot);
    if (hub) hub.attach(worker as unknown as HostPort);
    log.info({ workerPid: worker.process.pid, slot }, 'worker started');
    worker.on('exit', (code, signal) => {
      slots.delete(worker);
      if (stopping || retiring.delete(worker)) return;
      backoffMs = Date.now() - started < CRASH_WINDOW_MS ? Math.min(MAX_BACKOFF_MS, Math.max(250, backoffMs * 2)) : 0;
      log.warn({ workerPid: worker.process.pid, slot, code, signal, restartInMs: backoffMs }, 'worker died; restarting it');
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, backoffMs).unref();
    });
    return worker;
  };

  const listening = (worker: Worker): Promise<void> =>
    new Promise((resolve) => {
      worker.once('listening', () => resolve());
      worker.once('exit', () => resolve());
    });

  const exited = (worker: Worker): Promise<void> => new Promise((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve())));

  /** Replaces each worker in turn: the new one listens before the old one drains (4200), so the port never goes dark. */
  const rollingRestart = async (): Promise<void> => {
    log.info({ workers: slots.size }, 'SIGHUP: restarting workers one at a time');
    for (const [old, slot] of [...slots]) {
      if (stopping) return;
      const replacement = fork(slot);
      await listening(replacement);
      // Its IPC stays up while it drains, so its members' departures still reach the hub.
      retiring.add(old);
      old.process.kill('SIGTERM');
      await exited(old);
    }
    log.info({ workers: slots.size }, 'workers restarted');
  };

  if (config.httpFallback.enabled) {
    log.warn({ workers: count }, 'HTTP fallback sessions are not routed between workers yet: an xhr_streaming/xhr_polling session whose requests reach another worker fails; use one worker where the fallbacks matter');
  }
  for (let slot = 1; slot <= count; slot++) fork(slot);
  log.info({ workers: count, state: hub ? 'in-host' : 'redis' }, 'switchboard primary started its workers');

  return new Promise((resolve) => {
    let restarting: Promise<void> | undefined;
    process.on('SIGHUP', () => {
      restarting ??= rollingRestart().finally(() => (restarting = undefined));
    });
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal, workers: slots.size }, 'shutting down the workers');
      const all = [...slots.keys()];
      for (const worker of all) worker.process.kill('SIGTERM');
      void Promise.all(all.map(exited)).then(async () => {
        await hub?.close();
        log.info('all workers stopped');
        resolve(0);
      });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });
}
