import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { channelNameProblem, channelTraits } from '../protocol/channel-name.js';
import type { EncodedFrame, FrameBatch } from '../protocol/encoded-frame.js';
import { Errors, GatewayError, httpAnswerOf, isGatewayError } from '../protocol/errors.js';
import type { Acceptor, Link, LinkListener } from '../seams/link.js';
import type { SseAuthority } from '../seams/sse-authority.js';
import { clientAddress, type TrustedProxies } from '../edge/client-address.js';

export interface SseTransportOptions {
  readonly pathPrefix: string;
  /** Idle time after which a stream gets a `:` comment, so proxies and the browser see traffic. */
  readonly heartbeatMs: number;
  /** A stream whose unsent bytes pass this bound is cut off (4100), as WebSocket clients are. */
  readonly maxBufferedBytes: number;
  /** Whose `X-Forwarded-For` names the client (config `trustedProxies`). */
  readonly trustedProxies: TrustedProxies;
  readonly log: Logger;
}

/** Channels one stream may carry: the Last-Event-ID map of all of them must fit a request header. */
export const MAX_SSE_CHANNELS = 20;
const PONG = '{"event":"pusher:pong","data":{}}';

/** What a frame means to a stream, parsed once per frame whatever the number of streams. */
interface Parsed {
  /** SSE event name; undefined for channel events (the default `message` type). */
  readonly name: string | undefined;
  /** The SSE `data` value: the frame text for channel events, a flattened object otherwise. */
  readonly data: string;
  readonly channel: string | undefined;
  readonly position: string | undefined;
  readonly ping: boolean;
  readonly socketId: string | undefined;
}

const parsedFrames = new WeakMap<EncodedFrame, Parsed>();

/**
 * `GET {prefix}/sse/{key}?channels=a,b` — Server-Sent Events for pages that want no library.
 *
 * Each stream is a `Link` admitted through the same `Acceptor` as WebSocket connections, so app,
 * origin and quota checks, channel rules, limits and history are core's. The transport speaks for
 * the page: it sends the `pusher:subscribe` frames (with a signed `auth` for private channels once
 * the page's token is checked, and `since` from `Last-Event-ID`), and answers core's `pusher:ping`
 * (an EventSource cannot send anything).
 *
 * Guarantees: frames reach the page in `send` order; channel events on channels with history carry
 * an `id:` naming the position of every channel of the stream (base64url JSON `{channel: position}`),
 * so the browser's automatic reconnect (`Last-Event-ID`) resumes all of them; unsent bytes never
 * pass `maxBufferedBytes`; `closed` reaches core exactly once.
 */
export class SseTransport {
  private readonly pathPattern: RegExp;
  private readonly links = new Set<SseLink>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly acceptor: Acceptor,
    private readonly authority: SseAuthority,
    private readonly options: SseTransportOptions,
  ) {
    const prefix = options.pathPrefix.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.pathPattern = new RegExp(`^(?:${prefix})?/sse/([^/]+)$`);
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.max(50, Math.min(5000, options.heartbeatMs / 2)));
    this.sweeper.unref();
  }

  /** Handles the request when its path is `/sse/{key}`; returns false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = this.pathPattern.exec(url.pathname);
    if (!match) return false;
    req.resume();
    const cors = corsHeaders(req);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, OPTIONS', 'access-control-allow-headers': 'last-event-id, cache-control', 'access-control-max-age': '600' });
      res.end();
      return true;
    }
    try {
      this.open(match[1] ?? '', url, req, res, cors);
    } catch (error) {
      if (!isGatewayError(error)) this.options.log.error({ err: error }, 'sse request failed');
      replyError(res, error, cors);
    }
    return true;
  }

  private open(rawKey: string, url: URL, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): void {
    if (req.method !== 'GET') throw new GatewayError(Errors.MethodNotAllowed, `${req.method ?? ''} not allowed; use GET (EventSource)`);
    if (this.closed) throw new GatewayError(Errors.Unavailable, 'server is shutting down');
    let appKey: string;
    try {
      appKey = decodeURIComponent(rawKey);
    } catch {
      throw new GatewayError(Errors.BadRequest, 'malformed percent-encoding in path');
    }
    const channelsParam = url.searchParams.get('channels') ?? '';
    const channels = parseChannels(channelsParam);
    const remoteAddress = clientAddress(req, this.options.trustedProxies);
    const origin = req.headers.origin;
    const sameOrigin = origin === undefined && req.headers['sec-fetch-site'] === 'same-origin';
    const admission = this.acceptor.admit({ appKey, protocol: '7', origin, sameOrigin, remoteAddress, kind: 'sse' });
    if (!admission.ok) throw new GatewayError(admission.kind, admission.message);
    if (channels.some((c) => channelTraits(c).kind === 'private')) {
      const why = this.authority.checkToken(appKey, channelsParam, url.searchParams.get('expires'), url.searchParams.get('token'), Date.now());
      if (why !== undefined) throw new GatewayError(Errors.AuthFailed, why);
    }
    const lastEventId = req.headers['last-event-id'] ?? url.searchParams.get('lastEventId') ?? undefined;
    const since = sinceFromLastEventId(typeof lastEventId === 'string' ? lastEventId : undefined, channels);

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx honours this per response: events must not wait in a proxy buffer.
      'x-accel-buffering': 'no',
      ...cors,
    });
    res.socket?.setNoDelay(true);
    const link = new SseLink(res, remoteAddress, this.options.maxBufferedBytes, (l) => this.links.delete(l));
    this.links.add(link);
    link.start(admission.open(link), (socketId) =>
      channels.map((channel) => {
        const data: Record<string, string> = { channel, since: since.get(channel) ?? 'latest' };
        if (channelTraits(channel).kind === 'private') data['auth'] = this.authority.channelAuth(appKey, socketId, channel) ?? '';
        return JSON.stringify({ event: 'pusher:subscribe', data });
      }),
    );
  }

  /** Open streams on this node. */
  streamCount(): number {
    return this.links.size;
  }

  private sweep(now: number): void {
    for (const link of this.links) link.heartbeat(now, this.options.heartbeatMs);
  }

  /** Stops admitting and the heartbeat timer; open streams are closed by core's drain. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
  }
}

class SseLink implements Link {
  readonly kind = 'sse';
  private listener: LinkListener | undefined;
  private closedCode: number | undefined;
  private socketId: string | undefined;
  /** Newest position per channel with history, the content of the next `id:`. */
  private readonly positions = new Map<string, string>();
  private lastWriteAt = Date.now();

  constructor(
    private readonly res: ServerResponse,
    readonly remoteAddress: string,
    private readonly maxBufferedBytes: number,
    private readonly forget: (link: SseLink) => void,
  ) {
    res.on('close', () => this.finish(this.closedCode ?? Errors.ConnectionLost.wsCode));
    // A comment first, so the page's `open` fires at once; `retry` sets the reconnect delay.
    this.write(': switchboard\nretry: 2000\n\n');
  }

  /** Connects core's listener and subscribes the page's channels (core's greeting named the socket). */
  start(listener: LinkListener, subscribes: (socketId: string) => string[]): void {
    if (this.closedCode !== undefined) {
      // The page left while it was being admitted: core still has to forget the connection.
      listener.closed(this.closedCode);
      return;
    }
    this.listener = listener;
    if (this.socketId === undefined) {
      this.close(Errors.Reconnect.wsCode, 'no connection_established from core');
      return;
    }
    for (const frame of subscribes(this.socketId)) listener.message(frame);
  }

  send(frame: EncodedFrame): void {
    const out = this.render(frame);
    if (out) this.write(out);
  }

  sendBatch(batch: FrameBatch): void {
    let out = '';
    for (const frame of batch.frames) out += this.render(frame);
    if (out) this.write(out);
  }

  close(code: number, _reason: string): void {
    if (this.closedCode !== undefined) return;
    this.closedCode = code;
    this.res.end();
    this.finish(code);
  }

  heartbeat(now: number, heartbeatMs: number): void {
    if (now - this.lastWriteAt >= heartbeatMs) this.write(':\n\n');
  }

  private render(frame: EncodedFrame): string {
    const p = parseFrame(frame);
    if (p.ping) {
      // Core pings silent clients and closes those that do not answer; an EventSource cannot, so
      // the transport answers for it, outside core's sweep loop.
      setImmediate(() => {
        if (this.closedCode === undefined) this.listener?.message(PONG);
      });
      return '';
    }
    if (p.socketId !== undefined) this.socketId ??= p.socketId;
    let id = '';
    if (p.channel !== undefined && p.position !== undefined && this.advance(p.channel, p.position)) {
      id = `id: ${Buffer.from(JSON.stringify(Object.fromEntries(this.positions))).toString('base64url')}\n`;
    }
    if (p.name === '') return '';
    return `${id}${p.name === undefined ? '' : `event: ${p.name}\n`}data: ${p.data}\n\n`;
  }

  /** Records a channel's position; false when it is not newer than the one held (a held live frame). */
  private advance(channel: string, position: string): boolean {
    const current = this.positions.get(channel);
    if (current !== undefined) {
      const [epoch, offset] = splitPosition(current);
      const [nextEpoch, nextOffset] = splitPosition(position);
      if (epoch === nextEpoch && nextOffset <= offset) return false;
    }
    this.positions.set(channel, position);
    return true;
  }

  private write(text: string): void {
    if (this.closedCode !== undefined) return;
    if (this.res.writableLength > this.maxBufferedBytes) {
      // The page stopped reading. Nothing more can reach it in order, so drop the stream; the
      // browser reconnects with Last-Event-ID and history fills the gap where it can.
      this.closedCode = Errors.SlowConsumer.wsCode;
      this.res.destroy();
      this.finish(Errors.SlowConsumer.wsCode);
      return;
    }
    this.lastWriteAt = Date.now();
    this.res.write(text);
  }

  private finish(code: number): void {
    this.closedCode ??= code;
    this.forget(this);
    const listener = this.listener;
    this.listener = undefined;
    listener?.closed(code);
  }
}

function splitPosition(position: string): [string, number] {
  const at = position.lastIndexOf(':');
  return [position.slice(0, at), Number(position.slice(at + 1))];
}

/** Control frames under the names a page listens for (`pusher_internal:` is internal to pusher-js). */
const NAMES: Readonly<Record<string, string>> = {
  'pusher:connection_established': 'pusher:connection_established',
  'pusher_internal:subscription_succeeded': 'pusher:subscription_succeeded',
  'pusher:subscription_error': 'pusher:subscription_error',
  'pusher:error': 'pusher:error',
  'pusher:cache_miss': 'pusher:cache_miss',
  'pusher_internal:subscription_count': 'pusher:subscription_count',
  'pusher_internal:resume': 'switchboard:resume',
};

function parseFrame(frame: EncodedFrame): Parsed {
  let parsed = parsedFrames.get(frame);
  if (parsed) return parsed;
  const json = JSON.parse(frame.text) as { event: string; channel?: string; data?: unknown; position?: string };
  const event = json.event;
  if (event === 'pusher:ping' || event === 'pusher:pong') {
    parsed = { name: '', data: '', channel: undefined, position: undefined, ping: event === 'pusher:ping', socketId: undefined };
  } else if (json.channel !== undefined && !event.startsWith('pusher:') && !event.startsWith('pusher_internal:')) {
    // A channel event: the frame text itself, already one line of JSON.
    parsed = { name: undefined, data: frame.text, channel: json.channel, position: json.position, ping: false, socketId: undefined };
  } else {
    const inner = typeof json.data === 'string' ? safeJson(json.data) : json.data;
    const flat = { ...(json.channel === undefined ? {} : { channel: json.channel }), ...(isObject(inner) ? inner : { data: inner }) };
    const name = NAMES[event] ?? '';
    const position = event === 'pusher_internal:resume' && isObject(inner) && typeof inner['position'] === 'string' ? inner['position'] : undefined;
    const socketId = event === 'pusher:connection_established' && isObject(inner) && typeof inner['socket_id'] === 'string' ? inner['socket_id'] : undefined;
    parsed = { name, data: JSON.stringify(flat), channel: json.channel, position, ping: false, socketId };
  }
  parsedFrames.set(frame, parsed);
  return parsed;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `a,b` → the distinct channels, each a valid public or private channel name. */
function parseChannels(param: string): string[] {
  const channels = [...new Set(param.split(',').map((c) => c.trim()).filter((c) => c.length > 0))];
  if (channels.length === 0) throw new GatewayError(Errors.BadRequest, 'channels is required: ?channels=a,b');
  if (channels.length > MAX_SSE_CHANNELS) throw new GatewayError(Errors.BadRequest, `at most ${MAX_SSE_CHANNELS} channels per stream`);
  for (const channel of channels) {
    const problem = channelNameProblem(channel);
    if (problem) throw new GatewayError(Errors.BadRequest, `invalid channel ${JSON.stringify(channel)}: ${problem}`);
    const kind = channelTraits(channel).kind;
    if (kind !== 'public' && kind !== 'private') throw new GatewayError(Errors.BadRequest, `${kind} channels are not available over SSE: ${channel}`);
  }
  return channels;
}

/**
 * The `since` per channel from `Last-Event-ID`. A value that is not our id is not guessed at: every
 * channel is asked to resume from it, so core answers `recovered: false` (malformed) for each.
 */
function sinceFromLastEventId(lastEventId: string | undefined, channels: readonly string[]): Map<string, string> {
  const since = new Map<string, string>();
  if (lastEventId === undefined || lastEventId === '') return since;
  let map: unknown;
  try {
    map = lastEventId.length <= 16_384 ? JSON.parse(Buffer.from(lastEventId, 'base64url').toString('utf8')) : undefined;
  } catch {
    map = undefined;
  }
  for (const channel of channels) {
    if (!isObject(map)) {
      since.set(channel, 'malformed-last-event-id');
      continue;
    }
    // Own keys only: a channel may be called `__proto__`.
    const position = Object.hasOwn(map, channel) ? map[channel] : undefined;
    if (typeof position === 'string') since.set(channel, position);
    else if (position !== undefined) since.set(channel, 'malformed-last-event-id');
  }
  return since;
}

function corsHeaders(req: IncomingMessage): Record<string, string> {
  // The allow-list is enforced by admit(); a page the list allows may read the stream.
  const origin = req.headers.origin;
  return origin ? { 'access-control-allow-origin': origin, vary: 'origin' } : { 'access-control-allow-origin': '*' };
}

function replyError(res: ServerResponse, error: unknown, cors: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, message } = httpAnswerOf(error);
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...cors });
  res.end(body);
}
