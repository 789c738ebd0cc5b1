// checkDomains: normalise a batch, look every distinct name up across its TLD's methods under one scheduler,
// stream results as they complete and return them under the caller's keys.
import { setMaxListeners } from 'node:events';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { normalizeDomain } from './normalize.js';
import { queryDelegation } from './dns-client.js';
import { rdapDomain } from './rdap-client.js';
import { formatQuery, whoisQuery } from './whois-client.js';
import { classifyWhois, withProfile } from './whois-patterns.js';
import { BackoffError, Scheduler } from './scheduler.js';
import { failureProbe, clip, type Probe } from './attempt.js';
import { shippedData } from './data.js';
import { verdict, worthAsking, type Ending } from './verdict.js';
import {
  METHODS,
  UNKNOWN,
  type Deadlines,
  type DomainResult,
  type Evidence,
  type Method,
  type ServerLimits,
  type ServerMap,
  type TldServers,
} from './types.js';

export interface CheckOptions {
  /** Server entries merged over the shipped data, per TLD/suffix (an entry here replaces the shipped one). */
  servers?: ServerMap;
  /** Use the shipped snapshot as the base map (default true). False: only `servers` is consulted. */
  shippedData?: boolean;
  /** Default method order for TLDs without their own `methods`. Default `['dns', 'rdap', 'whois']`. */
  methods?: Method[];
  signal?: AbortSignal;
  /** Called once per input key, as soon as that key's result is final. Exceptions thrown here are ignored. */
  onResult?: (key: string, result: DomainResult) => void;
  /** Deadline for the whole batch; names still running then are reported unknown/`deadline`. Default 30 s. */
  deadlineMs?: number;
  /** Requests in flight across all servers. Default 64. */
  concurrency?: number;
  /** Per-method defaults for each server's limits. */
  limits?: Partial<Record<Method, Partial<ServerLimits>>>;
  /** Per-server limits by `host` or `host:port` (RDAP: URL origin), overriding `limits`. */
  serverLimits?: Record<string, Partial<ServerLimits>>;
  /** Per-attempt deadlines per method. */
  deadlines?: Partial<Record<Method, Partial<Deadlines>>>;
  /** UDP tries per DNS server (each with a new transaction id). Default 2. */
  dnsTries?: number;
  /** DNS servers tried per name when one fails. Default 2. */
  dnsServersPerName?: number;
  rdapMaxRedirects?: number;
  whoisMaxBytes?: number;
  /** Back-off after a WHOIS rate-limit answer or a silent hang. Default 30 s. */
  whoisBackoffMs?: number;
  /** Longest RDAP Retry-After honoured. Default 120 s. */
  maxBackoffMs?: number;
  /** Share one scheduler between batches (caps, back-off and merging then span batches). */
  scheduler?: Scheduler;
}

export type Keyed<T> = T extends readonly string[] ? DomainResult[] : Record<string, DomainResult>;

const DEFAULT_LIMITS: Record<Method, ServerLimits> = {
  dns: { concurrency: 16, spacingMs: 0 },
  rdap: { concurrency: 4, spacingMs: 0 },
  whois: { concurrency: 2, spacingMs: 100 },
};
const DEFAULT_DEADLINES: Record<Method, Deadlines> = {
  dns: { connectMs: 2000, idleMs: 1000, totalMs: 4000 },
  rdap: { connectMs: 3000, idleMs: 5000, totalMs: 10000 },
  whois: { connectMs: 3000, idleMs: 5000, totalMs: 10000 },
};

/** Reason attached when the batch deadline fires. */
class BatchDeadline extends Error {
  override name = 'BatchDeadline';
}

/** Streams `{key, result}` pairs as they complete; also awaitable for the full keyed result. */
export class LookupBatch<R> implements PromiseLike<R>, AsyncIterable<{ key: string; result: DomainResult }> {
  private readonly buffered: { key: string; result: DomainResult }[] = [];
  private readonly waiting: ((v: IteratorResult<{ key: string; result: DomainResult }>) => void)[] = [];
  private finished = false;
  /** Resolves with every key's result once all are final. Never rejects for network trouble. */
  readonly done: Promise<R>;

  constructor(run: (emit: (key: string, result: DomainResult) => void) => Promise<R>) {
    this.done = run((key, result) => {
      const w = this.waiting.shift();
      if (w) w({ value: { key, result }, done: false });
      else this.buffered.push({ key, result });
    }).finally(() => {
      this.finished = true;
      for (const w of this.waiting.splice(0)) w({ value: undefined, done: true });
    });
  }

  then<A = R, B = never>(ok?: ((v: R) => A | PromiseLike<A>) | null, fail?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.done.then(ok, fail);
  }

  /** Yields each key's result once, in completion order (results that completed earlier are buffered). */
  [Symbol.asyncIterator](): AsyncIterator<{ key: string; result: DomainResult }> {
    return {
      next: () => {
        const v = this.buffered.shift();
        if (v) return Promise.resolve({ value: v, done: false });
        if (this.finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiting.push(resolve));
      },
    };
  }
}

function findEntry(map: ServerMap, labels: string[]): TldServers | undefined {
  // Longest suffix first, so a map can give `co.uk` its own servers next to `uk`.
  for (let i = 1; i < labels.length; i++) {
    const suffix = labels.slice(i).join('.');
    if (Object.prototype.hasOwnProperty.call(map, suffix)) return map[suffix];
  }
  return undefined;
}

function hostKey(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`;
}

/**
 * Checks every domain in `domains` (an array, or a `{key: domain}` map) and returns results under the same
 * keys: an array in the same order, or a null-prototype object with exactly the input's own keys (so keys
 * such as `__proto__` are ordinary keys). Guarantees:
 * - invalid names and names under unknown TLDs are answered without network traffic;
 * - each distinct ASCII name is looked up once however often it appears; every key still gets a result;
 * - `status` is 1 only on an explicit "not registered" answer and no evidence of registration; 0 on any
 *   evidence of registration; otherwise -1;
 * - the returned batch settles by `deadlineMs` (plus socket teardown), never rejects because of the network,
 *   and on `signal` abort resolves promptly with the unfinished names marked `aborted`.
 */
export function checkDomains<T extends readonly string[] | Readonly<Record<string, string>>>(
  domains: T,
  options: CheckOptions = {},
): LookupBatch<Keyed<T>> {
  return new LookupBatch<Keyed<T>>((emit) => runBatch(domains, options, emit) as Promise<Keyed<T>>);
}

async function runBatch(
  domains: readonly string[] | Readonly<Record<string, string>>,
  options: CheckOptions,
  emit: (key: string, result: DomainResult) => void,
): Promise<DomainResult[] | Record<string, DomainResult>> {
  const isArray = Array.isArray(domains);
  const entries: [string, string][] = isArray
    ? (domains as readonly string[]).map((d, i) => [String(i), d])
    : Object.keys(domains).map((k) => [k, (domains as Record<string, string>)[k] as string]);

  const map: ServerMap = Object.create(null) as ServerMap;
  if (options.shippedData !== false) Object.assign(map, shippedData().map);
  for (const [k, v] of Object.entries(options.servers ?? {})) map[k.toLowerCase()] = v;

  const limitsFor = (server: string): ServerLimits => {
    const [method, ...rest] = server.split('|');
    const base = { ...DEFAULT_LIMITS[method as Method], ...options.limits?.[method as Method] };
    const id = rest.join('|');
    const host = id.replace(/:\d+$/, '');
    return { ...base, ...options.serverLimits?.[host], ...options.serverLimits?.[id] };
  };
  const scheduler = options.scheduler ?? new Scheduler({ globalConcurrency: options.concurrency ?? 64, limitsFor });
  const deadlinesFor = (m: Method): Deadlines => ({ ...DEFAULT_DEADLINES[m], ...options.deadlines?.[m] });

  const batch = new AbortController();
  // Every queued or running request listens on the batch signal; thousands of listeners are expected here.
  setMaxListeners(0, batch.signal);
  const deadlineMs = options.deadlineMs ?? 30_000;
  const deadlineAt = Date.now() + deadlineMs;
  const timer = setTimeout(() => batch.abort(new BatchDeadline('batch deadline')), deadlineMs);
  const onUserAbort = (): void => batch.abort(options.signal?.reason);
  if (options.signal?.aborted) onUserAbort();
  else options.signal?.addEventListener('abort', onUserAbort, { once: true });
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  const ending = (): Ending => (!batch.signal.aborted ? 'complete' : batch.signal.reason instanceof BatchDeadline ? 'deadline' : 'aborted');

  const schedule = async (method: Method, id: string, mergeKey: string, fn: (s: AbortSignal) => Promise<Probe>, label: string): Promise<Probe> => {
    try {
      const key = `${method}|${id}`;
      // The back-off is applied inside the task, before its slot is released, so that no queued request to
      // the same server can start in between.
      const task = async (signal: AbortSignal): Promise<Probe> => {
        const p = await fn(signal);
        if (p.backoffMs !== undefined) scheduler.backoff(key, p.backoffMs, p.outcome === 'timeout' ? 'timeout' : 'rate-limited');
        return p;
      };
      return await scheduler.run(key, task, { signal: batch.signal, mergeKey, deadline: deadlineAt });
    } catch (err) {
      // Not asked: the server is in a back-off window. Report why it is, not merely that it is: a server
      // that went silent is a timeout, not a rate limit.
      if (err instanceof BackoffError) {
        return err.reason === 'timeout'
          ? { method, server: label, outcome: 'timeout', detail: 'backing-off-after-silence' }
          : { method, server: label, outcome: 'rate-limited', detail: 'backing-off' };
      }
      return failureProbe(method, label, err);
    }
  };

  const runDns = async (ascii: string, entry: TldServers): Promise<Probe[]> => {
    const servers = entry.dns ?? [];
    const probes: Probe[] = [];
    // Spread names over the TLD's servers instead of hammering the first one.
    let start = 0;
    for (const ch of ascii) start = (start * 31 + ch.charCodeAt(0)) >>> 0;
    const tries = Math.min(servers.length, options.dnsServersPerName ?? 2);
    for (let i = 0; i < tries && !batch.signal.aborted; i++) {
      const s = servers[(start + i) % servers.length];
      if (!s) continue;
      const id = hostKey(s.host, s.port ?? 53);
      const p = await schedule('dns', id, `dns|${id}|${ascii}`, (signal) =>
        queryDelegation(ascii, s, { deadlines: deadlinesFor('dns'), udpTries: options.dnsTries ?? 2, signal }), id);
      probes.push(p);
      if (p.outcome === 'registered' || p.outcome === 'inconclusive') break;
    }
    return probes;
  };

  const runRdap = async (ascii: string, entry: TldServers): Promise<Probe[]> => {
    const base = entry.rdap?.[0];
    if (!base) return [];
    let origin: string;
    try {
      origin = new URL(base).host;
    } catch {
      return [{ method: 'rdap', server: base, outcome: 'error', detail: 'bad-base-url' }];
    }
    const p = await schedule('rdap', origin, `rdap|${base}|${ascii}`, (signal) =>
      rdapDomain(base, ascii, {
        deadlines: deadlinesFor('rdap'),
        maxRedirects: options.rdapMaxRedirects ?? 5,
        maxBytes: 512 * 1024,
        maxBackoffMs: options.maxBackoffMs ?? 120_000,
        signal,
        agents,
      }), base);
    return [p];
  };

  const runWhois = async (ascii: string, entry: TldServers): Promise<Probe[]> => {
    if (!entry.whois) return [];
    const server = withProfile(entry.whois);
    const port = server.port ?? 43;
    const id = hostKey(server.host, port);
    const query = formatQuery(server.query, ascii);
    const p = await schedule('whois', id, `whois|${id}|${query}`, async (signal): Promise<Probe> => {
      try {
        const ans = await whoisQuery(server.host, port, query, { deadlines: deadlinesFor('whois'), maxBytes: options.whoisMaxBytes ?? 256 * 1024, signal });
        const c = classifyWhois(ans.text, server, ascii);
        const base = { method: 'whois' as const, server: id };
        switch (c.kind) {
          case 'rate-limited':
            return { ...base, outcome: 'rate-limited', detail: 'rate-limit-text', text: clip(c.line), backoffMs: options.whoisBackoffMs ?? 30_000 };
          case 'registered':
            return { ...base, outcome: 'registered', detail: ans.truncated ? 'registered-marker (truncated answer)' : 'registered-marker', text: clip(c.line) };
          case 'not-registered':
            // A cut-off answer is not a complete statement from the registry; do not call it available.
            if (ans.truncated) return { ...base, outcome: 'inconclusive', detail: 'truncated', text: clip(c.line) };
            return { ...base, outcome: 'not-registered', detail: 'not-found-text', text: clip(c.line) };
          case 'empty':
            return { ...base, outcome: 'inconclusive', detail: 'empty-answer' };
          default:
            return { ...base, outcome: 'inconclusive', detail: ans.truncated ? 'truncated' : 'unrecognised-answer', text: clip(ans.text, 200) };
        }
      } catch (err) {
        const f = failureProbe('whois', id, err);
        // A server that goes silent is usually throttling us: treat it like a rate-limit answer.
        return f.outcome === 'timeout' ? { ...f, backoffMs: options.whoisBackoffMs ?? 30_000 } : f;
      }
    }, id);
    return [p];
  };

  const runners: Record<Method, (ascii: string, entry: TldServers) => Promise<Probe[]>> = { dns: runDns, rdap: runRdap, whois: runWhois };

  /** One distinct name, all methods. Resolves (never rejects) with the shared part of the result. */
  const lookup = async (ascii: string, entry: TldServers): Promise<Omit<DomainResult, 'domain' | 'ascii' | 'unicode'>> => {
    const t0 = performance.now();
    const evidence: Evidence[] = [];
    const order = (entry.methods ?? options.methods ?? [...METHODS]).filter((m) =>
      m === 'dns' ? (entry.dns?.length ?? 0) > 0 : m === 'rdap' ? (entry.rdap?.length ?? 0) > 0 : entry.whois !== undefined);
    for (const m of order) {
      if (batch.signal.aborted) break;
      if (!worthAsking(evidence, m)) continue;
      const s = performance.now();
      const probes = await runners[m](ascii, entry);
      const each = Math.round(performance.now() - s);
      for (const p of probes) {
        const { backoffMs: _b, ...e } = p;
        evidence.push({ ...e, ms: probes.length === 1 ? each : Math.round(each / probes.length) });
      }
    }
    const v = verdict(evidence, evidence.some((e) => e.outcome === 'registered' || e.outcome === 'not-registered') ? 'complete' : ending());
    return { ...v, evidence, ms: Math.round(performance.now() - t0) };
  };

  const distinct = new Map<string, Promise<Omit<DomainResult, 'domain' | 'ascii' | 'unicode'>>>();
  const out: DomainResult[] = [];
  const keyed: Record<string, DomainResult> = Object.create(null) as Record<string, DomainResult>;
  const deliver = (key: string, idx: number, r: DomainResult): void => {
    if (isArray) out[idx] = r;
    else keyed[key] = r;
    try {
      options.onResult?.(key, r);
    } catch {
      // A failing consumer callback must not lose the other results; the result is still returned.
    }
    emit(key, r);
  };

  try {
    await Promise.all(
      entries.map(async ([key, raw], idx) => {
        const domain = typeof raw === 'string' ? raw.trim() : '';
        const n = typeof raw === 'string' ? normalizeDomain(raw) : ({ ok: false, reason: 'not-a-string' } as const);
        if (!n.ok) {
          return deliver(key, idx, { domain, ascii: '', unicode: '', status: UNKNOWN, reason: `invalid:${n.reason}`, source: 'input', evidence: [], ms: 0 });
        }
        const entry = findEntry(map, n.labels);
        if (!entry) {
          return deliver(key, idx, { domain, ascii: n.ascii, unicode: n.unicode, status: UNKNOWN, reason: 'invalid:unknown-tld', source: 'input', evidence: [], ms: 0 });
        }
        let p = distinct.get(n.ascii);
        if (!p) {
          p = lookup(n.ascii, entry);
          distinct.set(n.ascii, p);
        }
        const shared = await p;
        deliver(key, idx, { domain, ascii: n.ascii, unicode: n.unicode, ...shared, evidence: [...shared.evidence] });
      }),
    );
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onUserAbort);
    agents.http.destroy();
    agents.https.destroy();
  }
  return isArray ? out : keyed;
}
