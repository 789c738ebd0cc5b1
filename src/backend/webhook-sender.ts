import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebhookObserver } from '../seams/observers.js';
import type { WebhookEvent, WebhookTarget } from './webhook-event.js';

/** The credentials a webhook is signed with. */
export interface WebhookApp {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
}

export interface WebhookSenderOptions {
  /** One request's deadline, connect to last byte of the answer's head. */
  readonly timeoutMs: number;
  /** A batch not delivered this long after it was queued is dropped (after at least one attempt). */
  readonly retryLimitMs: number;
  /** First retry delay; doubles per attempt up to `backoffMaxMs`, each with ±25% jitter. */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** Events queued per app (all its endpoints) before the oldest batches are dropped. */
  readonly backlogSize: number;
}

interface Batch {
  readonly body: string;
  readonly events: number;
  readonly queuedAt: number;
  attempts: number;
  firstAttemptAt?: number;
}

/** One endpoint of one app: its batches in order, at most one request in flight. */
interface Endpoint {
  readonly app: WebhookApp;
  readonly target: WebhookTarget;
  /** The URL requests go to: credentials moved into `headers`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The URL without credentials or query, for logs and metrics. */
  readonly label: string;
  readonly batches: Batch[];
  sending: boolean;
  /** Cuts a retry wait short (shutdown). */
  wake?: (() => void) | undefined;
  abort: AbortController;
}

/** Signature of a webhook body, as the `pusher` SDKs verify it: hex HMAC-SHA256 of the raw body. */
export function signWebhookBody(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * Posts webhook batches: signed, at least once, in order per endpoint.
 *
 * Guarantees:
 * - `enqueue` never blocks and never throws: it only appends to memory, so a slow or dead endpoint
 *   costs the fan-out path nothing.
 * - A batch is retried (non-2xx — redirects are not followed and count as failures —, timeout,
 *   refused connection) with exponential backoff and jitter until it is delivered or `retryLimitMs`
 *   has passed since it was queued; then it is dropped, logged and reported.
 * - Batches of one endpoint are delivered in the order queued; a retried batch holds back the ones
 *   behind it. Each retry sends the very same bytes (same `time_ms`, same signature).
 * - An app's queued events never exceed `backlogSize`: the oldest batches not in flight make room.
 */
export class WebhookSender {
  private readonly endpoints = new Map<string, Endpoint>();
  /** app id → events queued across its endpoints (in-flight batches included). */
  private readonly backlogs = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private closing = false;

  constructor(
    private readonly options: WebhookSenderOptions,
    private readonly log: Logger,
    private readonly observer: WebhookObserver = {},
  ) {}

  /** Queues one request's worth of events for one endpoint. */
  enqueue(app: WebhookApp, target: WebhookTarget, events: readonly WebhookEvent[], now = Date.now()): void {
    if (events.length === 0 || this.closing) return;
    const endpoint = this.endpoint(app, target);
    const body = JSON.stringify({ time_ms: now, events });
    endpoint.batches.push({ body, events: events.length, queuedAt: now, attempts: 0 });
    this.backlogs.set(app.id, this.backlog(app.id) + events.length);
    this.trim(app.id);
    void this.pump(endpoint);
  }

  /** Events queued for an app and not yet delivered or dropped. */
  backlog(appId: string): number {
    return this.backlogs.get(appId) ?? 0;
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.busy()) return new Promise((resolve) => this.idleWaiters.push(resolve));
    return Promise.resolve();
  }

  /**
   * Stops retrying: what is queued gets one more attempt within `graceMs`, then in-flight requests
   * are aborted and the rest dropped (reason `shutdown`).
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    for (const endpoint of this.endpoints.values()) endpoint.wake?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const endpoint of this.endpoints.values()) {
      endpoint.abort.abort();
      this.dropAll(endpoint, 'shutdown');
    }
  }

  private endpoint(app: WebhookApp, target: WebhookTarget): Endpoint {
    const key = `${app.id}\u0000${target.url}`;
    let endpoint = this.endpoints.get(key);
    if (!endpoint) {
      const { url, headers } = credentialsToHeader(target);
      endpoint = { app, target, url, headers, label: urlLabel(target.url), batches: [], sending: false, abort: new AbortController() };
      this.endpoints.set(key, endpoint);
    }
    return endpoint;
  }

  private async pump(endpoint: Endpoint): Promise<void> {
    if (endpoint.sending) return;
    endpoint.sending = true;
    try {
      for (let batch = endpoint.batches[0]; batch; batch = endpoint.batches[0]) {
        batch.firstAttemptAt ??= Date.now();
        batch.attempts++;
        const failure = await this.post(endpoint, batch);
        if (endpoint.batches[0] !== batch) continue; // Dropped meanwhile (shutdown).
        if (failure === undefined) {
          this.remove(endpoint, batch);
          this.observer.delivered?.({ appId: endpoint.app.id, url: endpoint.label, events: batch.events, attempts: batch.attempts, ms: Date.now() - batch.firstAttemptAt });
          continue;
        }
        const delay = this.backoff(batch.attempts);
        if (this.closing || Date.now() + delay - batch.queuedAt > this.options.retryLimitMs) {
          this.remove(endpoint, batch);
          const reason = this.closing ? 'shutdown' : 'retry-limit';
          this.log.warn({ appId: endpoint.app.id, url: endpoint.label, events: batch.events, attempts: batch.attempts, lastError: failure, reason }, 'webhook dropped');
          this.observer.dropped?.({ appId: endpoint.app.id, url: endpoint.label, events: batch.events, reason });
          continue;
        }
        // Warn from the first failure: a dead endpoint must be visible long before the batch is dropped.
        this.log.warn({ appId: endpoint.app.id, url: endpoint.label, events: batch.events, attempt: batch.attempts, delayMs: Math.round(delay), error: failure }, 'webhook delivery failed; retrying');
        this.observer.retried?.({ appId: endpoint.app.id, url: endpoint.label, attempt: batch.attempts, reason: failure });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          endpoint.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        endpoint.wake = undefined;
      }
    } finally {
      endpoint.sending = false;
      if (!this.busy()) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** One attempt; resolves with why it failed, or undefined on a 2xx. Never rejects. */
  private async post(endpoint: Endpoint, batch: Batch): Promise<string | undefined> {
    const { app } = endpoint;
    try {
      const res = await fetch(endpoint.url, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          ...endpoint.headers,
          'content-type': 'application/json',
          'user-agent': 'Switchboard-Webhooks',
          'x-pusher-key': app.key,
          'x-pusher-signature': signWebhookBody(app.secret, batch.body),
        },
        body: batch.body,
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), endpoint.abort.signal]),
      });
      // The answer's body is of no interest; release the connection.
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return undefined;
      return Math.trunc(res.status / 100) === 3 ? `redirect ${res.status} not followed` : `status ${res.status}`;
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') return `no answer within ${this.options.timeoutMs} ms`;
      // Messages may quote the URL, which may carry a token: only the label goes to logs and metrics.
      return e.cause?.code ?? e.message.replaceAll(endpoint.url, endpoint.label);
    }
  }

  /** Equal-ish jitter: the doubled delay ±25%, so a crowd of endpoints does not retry in step. */
  private backoff(attempts: number): number {
    const base = Math.min(this.options.backoffMaxMs, this.options.backoffInitialMs * 2 ** (attempts - 1));
    return base * (0.75 + Math.random() * 0.5);
  }

  /** Drops the app's oldest batches that are not in flight until its backlog fits. */
  private trim(appId: string): void {
    while (this.backlog(appId) > this.options.backlogSize) {
      let oldest: { endpoint: Endpoint; batch: Batch } | undefined;
      for (const endpoint of this.endpoints.values()) {
        if (endpoint.app.id !== appId) continue;
        const batch = endpoint.batches[endpoint.sending ? 1 : 0];
        if (batch && (!oldest || batch.queuedAt < oldest.batch.queuedAt)) oldest = { endpoint, batch };
      }
      if (!oldest) return;
      this.remove(oldest.endpoint, oldest.batch);
      this.log.warn({ appId, url: oldest.endpoint.label, events: oldest.batch.events }, 'webhook backlog full: dropped the oldest batch');
      this.observer.dropped?.({ appId, url: oldest.endpoint.label, events: oldest.batch.events, reason: 'backlog-full' });
    }
  }

  private remove(endpoint: Endpoint, batch: Batch): void {
    const i = endpoint.batches.indexOf(batch);
    if (i < 0) return;
    endpoint.batches.splice(i, 1);
    const left = this.backlog(endpoint.app.id) - batch.events;
    if (left > 0) this.backlogs.set(endpoint.app.id, left);
    else this.backlogs.delete(endpoint.app.id);
  }

  private dropAll(endpoint: Endpoint, reason: 'shutdown'): void {
    for (const batch of [...endpoint.batches]) {
      this.remove(endpoint, batch);
      this.log.warn({ appId: endpoint.app.id, url: endpoint.label, events: batch.events, reason }, 'webhook dropped');
      this.observer.dropped?.({ appId: endpoint.app.id, url: endpoint.label, events: batch.events, reason });
    }
  }

  private busy(): boolean {
    for (const endpoint of this.endpoints.values()) if (endpoint.sending || endpoint.batches.length > 0) return true;
    return false;
  }
}

/** `https://user:pw@host/hook` → basic authentication, which `fetch` refuses to take from the URL. */
function credentialsToHeader(target: WebhookTarget): { url: string; headers: Record<string, string> } {
  const u = new URL(target.url);
  if (u.username === '' && u.password === '') return { url: target.url, headers: { ...target.headers } };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  return { url: u.toString(), headers: { authorization: `Basic ${basic}`, ...target.headers } };
}

/** `https://user:pw@host/path?token=x` → `https://host/path`: URLs may carry credentials. */
function urlLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'invalid-url';
  }
}
