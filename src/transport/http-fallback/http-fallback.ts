import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { clientAddress, type TrustedProxies } from '../../edge/client-address.js';
import { Errors, GatewayError, httpAnswerOf, isGatewayError } from '../../protocol/errors.js';
import { ServerFrames } from '../../protocol/server-frame.js';
import type { Acceptor } from '../../seams/link.js';
import { FallbackSession, RECEIVE_HEADERS, type FallbackKind, type SessionTimings } from './fallback-session.js';
import { RefusalLog } from './refusal-log.js';
import { OPEN_LINE, arrayLine, closeLine } from './sockjs-frame.js';

export interface HttpFallbackOptions {
  /** The gateway's path prefix; fallback URLs are `[prefix][/pusher]/app/{key}/{server}/{session}/{op}`. */
  readonly pathPrefix: string;
  /** Idle time after which an open stream gets `h` and a held poll is answered with `h`. */
  readonly heartbeatMs: number;
  /** A session with no receive request open for this long is over (its presence ends, hooks fire). */
  readonly sessionTimeoutMs: number;
  /** The shorter limit for a session whose client dropped its stream or held poll (pusher-js leaving). */
  readonly abandonGraceMs: number;
  /**
   * Whose `X-Forwarded-For` names the client (config `trustedProxies`). A session answers only the
   * client address (and Origin, present or absent) that opened it.
   */
  readonly trustedProxies: TrustedProxies;
  /** How long a second receive request waits for the held one to go before 2010; default 1000. */
  readonly supersedeWaitMs?: number;
  /** Unsent bytes per session (outbox or stream backlog) before it is cut off with 4100. */
  readonly maxBufferedBytes: number;
  /** Largest `xhr_send` body. */
  readonly maxSendBytes: number;
  readonly log: Logger;
}

const OPS: Readonly<Record<string, FallbackKind | 'send'>> = { xhr_streaming: 'xhr_streaming', xhr: 'xhr_polling', xhr_send: 'send' };

/**
 * pusher-js's HTTP fallback transports, `xhr_streaming` and `xhr_polling`, served on the gateway's
 * HTTP server. Each session is a `Link` admitted through the same `Acceptor` as WebSocket
 * connections, so app, origin, protocol and quota checks, channels, presence, client events and
 * limits are core's, not this transport's.
 *
 * A session id travels in URLs (proxy logs, Referer headers), so it is not a credential: a session
 * belongs to the client that opened it, its address (through trusted proxies) and its Origin header
 * or the lack of one. Receives and sends from anyone else are refused (403, `SessionNotYours`) and
 * logged, and leave the session untouched.
 *
 * Sessions live on the node that created them: behind several nodes a proxy must send all requests
 * of one `{server}/{session}` to the same node (examples/nginx/switchboard.conf).
 */
export class HttpFallback {
  private readonly sessions = new Map<string, FallbackSession>();
  private readonly pathPattern: RegExp;
  private readonly sweeper: NodeJS.Timeout;
  private readonly timings: SessionTimings;
  private readonly refusals: RefusalLog;
  private closed = false;

  constructor(
    private readonly acceptor: Acceptor,
    private readonly options: HttpFallbackOptions,
  ) {
    const prefix = options.pathPrefix.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // pusher-js builds `{httpPath || '/pusher'}/app/{key}/{server}/{session}/{op}`: accept the default
    // `/pusher` and the gateway's own prefix, with or without `/pusher` after it.
    this.pathPattern = new RegExp(`^(?:${prefix})?(?:/pusher)?/app/([^/]+)/([0-9]{1,6})/([0-9a-zA-Z_-]{1,64})/([a-z_]+)$`);
    this.timings = { heartbeatMs: options.heartbeatMs, expiryMs: options.sessionTimeoutMs, abandonGraceMs: options.abandonGraceMs };
    this.refusals = new RefusalLog(options.log, 'fallback request refused');
    const every = Math.max(50, Math.min(1000, options.heartbeatMs / 4, options.sessionTimeoutMs / 4, options.abandonGraceMs / 4));
    this.sweeper = setInterval(() => this.sweep(Date.now()), every);
    this.sweeper.unref();
  }

  /** Handles the request when its path is a fallback URL; returns false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (!URL.canParse(req.url ?? '/', 'http://localhost')) return false;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = this.pathPattern.exec(url.pathname);
    if (!match) return false;
    const op = OPS[match[4] ?? ''];
    if (op === undefined) return false;
    const cors = corsHeaders(req);
    if (req.method === 'OPTIONS') {
      // Preflight for the JSON POSTs. The allow-list is enforced where the session is admitted (the
      // same admit() as WebSocket upgrades), which answers a foreign origin with Pusher's 4009
      // refusal so pusher-js stops retrying instead of failing CORS forever.
      res.writeHead(204, { ...cors, 'access-control-max-age': '600' });
      res.end();
      return true;
    }
    try {
      if (req.method !== 'POST') throw new GatewayError(Errors.MethodNotAllowed, `${req.method ?? ''} not allowed; pusher-js sends POST`);
      let appKey: string;
      try {
        appKey = decodeURIComponent(match[1] ?? '');
      } catch {
        throw new GatewayError(Errors.BadRequest, 'malformed percent-encoding in path');
      }
      const id = `${appKey}/${match[2] ?? ''}/${match[3] ?? ''}`;
      if (op === 'send') this.onSend(id, req, res, cors);
      else this.onReceive(op, id, appKey, url, req, res, cors);
    } catch (error) {
      req.resume();
      if (!isGatewayError(error)) this.options.log.error({ err: error }, 'fallback request failed');
      replyError(res, error, cors);
    }
    return true;
  }

  /** Open sessions on this node (for tests, benchmarks and metrics). */
  sessionCount(): number {
    return this.sessions.size;
  }

  /** Stops the timers and ends every held request; call after core has closed the links. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const session of this.sessions.values()) session.shutdown();
    this.sessions.clear();
  }

  private onReceive(kind: FallbackKind, id: string, appKey: string, url: URL, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): void {
    req.resume();
    const now = Date.now();
    let session = this.sessions.get(id);
    if (session?.isDone) {
      this.sessions.delete(id);
      session = undefined;
    }
    if (session !== undefined) {
      const owned = session;
      this.checkClient(owned, req, kind);
      if (owned.kind !== kind) throw new GatewayError(Errors.BadRequest, `session ${id} uses ${owned.kind}`);
      owned.resume(res, cors, now, () => this.refusals.refused({ session: owned.id, op: kind, reason: 'another receive request is open', code: Errors.AnotherConnectionOpen.wsCode, address: owned.remoteAddress }));
      return;
    }
    if (this.closed) throw new GatewayError(Errors.Unavailable, 'server is shutting down');
    const remoteAddress = clientAddress(req, this.options.trustedProxies);
    const admission = this.acceptor.admit({ appKey, protocol: url.searchParams.get('protocol'), origin: req.headers.origin, remoteAddress, kind });
    if (!admission.ok) {
      // As over WebSocket: open, say why in a pusher:error, then close with the code pusher-js
      // reads to decide whether to retry.
      const error = JSON.stringify(ServerFrames.error(admission.message, admission.kind.wsCode));
      res.writeHead(200, { ...RECEIVE_HEADERS, ...cors });
      res.end(OPEN_LINE + arrayLine(error) + closeLine(admission.kind.wsCode, admission.message.slice(0, 120)));
      return;
    }
    const limits = { maxBufferedBytes: this.options.maxBufferedBytes, supersedeWaitMs: this.options.supersedeWaitMs ?? 1000 };
    session = new FallbackSession(id, kind, req.headers.origin, remoteAddress, limits, now);
    this.sessions.set(id, session);
    session.open(res, cors, now);
    session.listen(admission.open(session));
  }

  private onSend(id: string, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): void {
    const session = this.sessions.get(id);
    if (session === undefined || session.isClosed) throw new GatewayError(Errors.NotFound, 'session not found');
    this.checkClient(session, req, 'send');
    readLimited(req, this.options.maxSendBytes)
      .then((body) => {
        const texts = parseSendBody(body);
        // `[]` is the client's heartbeat: answered with an empty 204 and never with a frame, since
        // pusher-js answers every `h` with `[]` and the two would chase each other forever.
        res.writeHead(204, cors);
        res.end();
        session.receive(texts);
      })
      .catch((error: unknown) => {
        if (!isGatewayError(error)) this.options.log.error({ err: error }, 'fallback send failed');
        replyError(res, error, cors);
      });
  }

  /**
   * A session answers only the client that opened it: the same address through the trusted proxies
   * and the same Origin header, or none if it had none (browsers send Origin on every such POST; a
   * missing one is not a wildcard).
   */
  private checkClient(session: FallbackSession, req: IncomingMessage, op: string): void {
    const address = clientAddress(req, this.options.trustedProxies);
    const origin = req.headers.origin;
    if (address === session.remoteAddress && origin === session.origin) return;
    this.refusals.refused({
      session: session.id,
      op,
      reason: address !== session.remoteAddress ? 'request from another address' : 'request with another origin',
      address,
      origin: origin?.slice(0, 200),
      sessionAddress: session.remoteAddress,
      sessionOrigin: session.origin,
    });
    throw new GatewayError(Errors.SessionNotYours, 'this session belongs to another client');
  }

  private sweep(now: number): void {
    for (const [id, session] of this.sessions) {
      if (!session.tick(now, this.timings)) this.sessions.delete(id);
    }
    this.refusals.roll(now);
  }
}

/** CORS for pusher-js's cross-origin XHRs: echo the caller's origin (checked at admission). */
function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin ?? '*',
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? 'content-type').slice(0, 200),
  };
  if (origin !== undefined) {
    headers['access-control-allow-credentials'] = 'true';
    headers['vary'] = 'Origin';
  }
  return headers;
}

function parseSendBody(body: Buffer): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError(Errors.BadRequest, 'body is not valid JSON');
  }
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
    throw new GatewayError(Errors.BadRequest, 'body must be a JSON array of JSON-encoded frames');
  }
  return value;
}

function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      reject(new GatewayError(Errors.PayloadTooLarge, `request body larger than ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(new GatewayError(Errors.PayloadTooLarge, `request body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The edge where a fallback request's error becomes an HTTP answer: real status, JSON `{error}`. */
function replyError(res: ServerResponse, error: unknown, cors: Record<string, string>): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const { status, message } = httpAnswerOf(error);
  const text = JSON.stringify({ error: message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...cors });
  res.end(text);
}
