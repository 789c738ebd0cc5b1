// RDAP domain queries (RFC 9082/9083) with bounded redirects and one deadline across all hops.
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { DeadlineError, clip, failureProbe, startAttempt, type Probe } from './attempt.js';
import type { Deadlines } from './types.js';

export interface RdapOptions {
  deadlines: Deadlines;
  maxRedirects: number;
  /** Bytes of body read at most; larger bodies count as garbage. */
  maxBytes: number;
  /** Longest Retry-After honoured; longer values are clamped (the batch deadline bounds it anyway). */
  maxBackoffMs: number;
  signal?: AbortSignal;
  agents?: { http?: HttpAgent; https?: HttpsAgent };
}

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function get(url: URL, d: Deadlines, maxBytes: number, signal: AbortSignal, agents: RdapOptions['agents']): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const isHttps = url.protocol === 'https:';
    const req = (isHttps ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      headers: { accept: 'application/rdap+json, application/json;q=0.9', 'user-agent': 'switchboard-lookup' },
      signal,
      agent: isHttps ? agents?.https : agents?.http,
    });
    const connectTimer = setTimeout(() => req.destroy(new DeadlineError('connect')), d.connectMs);
    req.on('socket', (s) => {
      // A reused keep-alive socket is already connected: nothing to wait for, and a listener added to it
      // would stay there for the socket's life (one per request: MaxListenersExceededWarning). A fresh one
      // reports 'connect' (or 'secureConnect'); its listener goes when the request does.
      if (!s.connecting) {
        clearTimeout(connectTimer);
        return;
      }
      const event = isHttps ? 'secureConnect' : 'connect';
      const connected = (): void => clearTimeout(connectTimer);
      s.once(event, connected);
      req.once('close', () => s.off(event, connected));
    });
    req.setTimeout(d.idleMs, () => req.destroy(new DeadlineError('idle')));
    req.on('error', (err) => {
      clearTimeout(connectTimer);
      reject(err);
    });
    req.on('response', (res) => {
      clearTimeout(connectTimer);
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        size += b.length;
        if (size > maxBytes) {
          req.destroy(new Error('body-too-large'));
          return;
        }
        chunks.push(b);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.end();
  });
}

/** Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function isJson(headers: IncomingMessage['headers']): boolean {
  const ct = String(headers['content-type'] ?? '').toLowerCase();
  return ct.includes('application/rdap+json') || ct.includes('application/json');
}

function parseObject(body: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Flattens RDAP notices/remarks (`[{title, description: string[]}]`) into evidence text. */
function noticesText(obj: Record<string, unknown> | null): string | undefined {
  if (!obj) return undefined;
  const out: string[] = [];
  for (const key of ['notices', 'remarks']) {
    const list = obj[key];
    if (!Array.isArray(list)) continue;
    for (const n of list as unknown[]) {
      if (n === null || typeof n !== 'object') continue;
      const { title, description } = n as { title?: unknown; description?: unknown };
      const desc = Array.isArray(description) ? description.filter((d) => typeof d === 'string').join(' ') : '';
      out.push([typeof title === 'string' ? title : '', desc].filter(Boolean).join(': '));
    }
  }
  if (typeof obj.description === 'string') out.push(obj.description);
  else if (Array.isArray(obj.description)) out.push(obj.description.filter((d) => typeof d === 'string').join(' '));
  return out.length > 0 ? clip(out.join(' | ')) : undefined;
}

/**
 * GETs `{base}domain/{ascii}` and follows at most `maxRedirects` redirects (loops detected, https→http
 * downgrades refused). Semantics: 200 with an RDAP domain object → registered; 404 → not-registered
 * (notices kept as evidence; reserved names also 404, see docs); 429 → rate-limited with `backoffMs` from
 * Retry-After; anything else (5xx, 400, HTML 200, bad JSON, another object) → error/inconclusive.
 * Never throws; the total deadline covers every hop.
 */
export async function rdapDomain(base: string, ascii: string, opts: RdapOptions): Promise<Probe> {
  const attempt = startAttempt(opts.signal, opts.deadlines.totalMs);
  let url: URL;
  try {
    url = new URL(`domain/${ascii}`, base.endsWith('/') ? base : `${base}/`);
  } catch {
    attempt.done();
    return { method: 'rdap', server: base, outcome: 'error', detail: 'bad-base-url' };
  }
  const seen = new Set<string>();
  try {
    for (let hop = 0; ; hop++) {
      const server = url.href;
      seen.add(url.href);
      const r = await get(url, opts.deadlines, opts.maxBytes, attempt.signal, opts.agents);
      if (r.status >= 300 && r.status < 400 && r.status !== 304) {
        const loc = r.headers.location;
        if (!loc) return { method: 'rdap', server, outcome: 'error', detail: `http-${r.status}-no-location` };
        if (hop >= opts.maxRedirects) return { method: 'rdap', server, outcome: 'error', detail: 'too-many-redirects' };
        const next = new URL(loc, url);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') return { method: 'rdap', server, outcome: 'error', detail: 'bad-redirect-scheme' };
        if (url.protocol === 'https:' && next.protocol === 'http:') return { method: 'rdap', server, outcome: 'error', detail: 'insecure-redirect' };
        if (seen.has(next.href)) return { method: 'rdap', server, outcome: 'error', detail: 'redirect-loop' };
        url = next;
        continue;
      }
      const obj = isJson(r.headers) ? parseObject(r.body) : null;
      const text = noticesText(obj);
      if (r.status === 200) {
        // Some front ends answer 200 with an HTML error page; only a real RDAP domain object counts.
        if (!obj) return { method: 'rdap', server, outcome: 'error', detail: 'garbage-200' };
        const cls = obj.objectClassName;
        const ldh = typeof obj.ldhName === 'string' ? obj.ldhName.toLowerCase().replace(/\.$/, '') : undefined;
        if (cls !== 'domain' || (ldh !== undefined && ldh !== ascii)) return { method: 'rdap', server, outcome: 'error', detail: 'unexpected-object' };
        return { method: 'rdap', server, outcome: 'registered', detail: 'http-200', ...(text ? { text } : {}) };
      }
      if (r.status === 404) return { method: 'rdap', server, outcome: 'not-registered', detail: 'http-404', ...(text ? { text } : {}) };
      if (r.status === 429) {
        const wait = parseRetryAfter(firstHeader(r.headers['retry-after']));
        const backoffMs = Math.min(opts.maxBackoffMs, wait ?? 30_000);
        return { method: 'rdap', server, outcome: 'rate-limited', detail: 'http-429', backoffMs, ...(text ? { text } : {}) };
      }
      return { method: 'rdap', server, outcome: 'error', detail: `http-${r.status}`, ...(text ? { text } : {}) };
    }
  } catch (err) {
    return failureProbe('rdap', url.href, attempt.signal.aborted ? attempt.signal.reason : err);
  } finally {
    attempt.done();
  }
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
