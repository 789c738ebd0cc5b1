import type { ServerResponse } from 'node:http';
import type { EncodedFrame, FrameBatch } from '../../protocol/encoded-frame.js';
import { Errors } from '../../protocol/errors.js';
import type { Link, LinkListener } from '../../seams/link.js';
import { HEARTBEAT_LINE, OPEN_LINE, STREAM_PRELUDE, arrayLine, closeLine, messageBody, messageLine } from './sockjs-frame.js';

export type FallbackKind = 'xhr_streaming' | 'xhr_polling';

export interface SessionLimits {
  /** Unsent bytes (outbox or stream backlog) past which the session is cut off with 4100. */
  readonly maxBufferedBytes: number;
  /**
   * How long a second receive request waits for the one held before it is refused with 2010.
   * pusher-js aborts a full stream and opens the next at once, and the server may read the new
   * request before it sees the old one's socket close (always possible through a proxy).
   */
  readonly supersedeWaitMs: number;
}

/** The clocks the transport's sweeper runs sessions by. */
export interface SessionTimings {
  /** Idle time after which an open stream gets `h` and a held poll is answered with `h`. */
  readonly heartbeatMs: number;
  /** Time without a receive request after which the session is over. */
  readonly expiryMs: number;
  /** The shorter time that applies when the client dropped its receive request instead of us ending it. */
  readonly abandonGraceMs: number;
}

/** What a second receive request waiting for the held one to go needs. */
interface Waiting {
  readonly res: ServerResponse;
  readonly headers: Record<string, string>;
  readonly timer: NodeJS.Timeout;
  readonly onBusy: () => void;
}

/**
 * pusher-js drops a stream and opens the next once it has read more than this many characters of
 * it (`MAX_BUFFER_LENGTH` in its http_request.ts). Whatever is written after that point may arrive
 * after the client stopped listening, so a stream past it gets nothing more: frames wait in the
 * outbox for the next stream.
 */
const STREAM_CHAR_LIMIT = 256 * 1024;

export const RECEIVE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/javascript; charset=UTF-8',
  'cache-control': 'no-store, no-cache, must-revalidate, max-age=0',
  // nginx honours this per response: streamed frames must not wait in a proxy buffer.
  'x-accel-buffering': 'no',
};

/**
 * One pusher-js HTTP fallback session (`{server}/{session}` in its URLs), seen by core as a `Link`.
 *
 * The client reads through one receive request at a time: a long response for `xhr_streaming`, one
 * short response per poll for `xhr_polling`. Frames sent while no receive request is open wait in a
 * bounded outbox. A session closed by core keeps its `c[…]` line until the client's next receive
 * request collects it or the session expires.
 *
 * One receive request at a time: a second one while the first is held waits `supersedeWaitMs` for
 * the first to go (a stream pusher-js has just abandoned) and is otherwise refused as SockJS does,
 * `c[2010,"Another connection still open"]`, leaving the first untouched. Which client may make
 * requests at all is the transport's check (`remoteAddress`, `origin`), not the session's.
 *
 * Expiry: a session without a receive request is over after `expiryMs`, or after the shorter
 * `abandonGraceMs` when its last request was dropped by the client (socket closed before we ended
 * it), which is how pusher-js leaves. A poll we answered starts the long clock: the gap before the
 * next poll is normal.
 *
 * Guarantees: frames reach the client in `send` order; `o` is written exactly once; nothing is ever
 * written in answer to the client's `[]` heartbeat; `closed` reaches the listener exactly once.
 */
export class FallbackSession implements Link {
  private listener: LinkListener | undefined;
  /** The receive request currently held open, if any. */
  private receiver: ServerResponse | undefined;
  /** Message bodies (see `messageBody`) waiting for a receive request. */
  private outbox: string[] = [];
  private outboxBytes = 0;
  /** Set once closed: the `c[…]` line still to deliver, or '' once delivered. */
  private pendingClose: string | undefined;
  private flushScheduled = false;
  /** When the current receive request was attached or the last line written to it. */
  private lastWriteAt = 0;
  /** Characters (UTF-16 units, as the client's responseText counts them) written to the current stream. */
  private streamChars = 0;
  /** When the session last had no receive request (start of the expiry clock). */
  private detachedAt: number;
  /** The client closed the last receive request itself: the grace clock applies, not the expiry. */
  private abandoned = false;
  /** A second receive request, waiting for the held one to go. */
  private waiting: Waiting | undefined;

  constructor(
    readonly id: string,
    readonly kind: FallbackKind,
    readonly origin: string | undefined,
    readonly remoteAddress: string,
    private readonly limits: SessionLimits,
    now: number,
  ) {
    this.detachedAt = now;
  }

  /** Answers the session's first receive request with `o` (and keeps it open when streaming). */
  open(res: ServerResponse, headers: Record<string, string>, now: number): void {
    res.writeHead(200, { ...RECEIVE_HEADERS, ...headers });
    if (this.kind === 'xhr_polling') {
      // The first poll answer is only `o`; connection_established waits for the next poll.
      res.end(OPEN_LINE);
      this.detachedAt = now;
      return;
    }
    this.attachReceiver(res, now);
    this.write(res, STREAM_PRELUDE + OPEN_LINE, now);
  }

  /** Connects core's listener once admission has opened the link. */
  listen(listener: LinkListener): void {
    this.listener = listener;
  }

  /**
   * A later receive request on this session: a new stream (pusher-js opens one after 256 KiB) or
   * the next poll. While another is held it waits for that one to go, and is refused with 2010
   * (`onBusy` is then called) if it does not.
   */
  resume(res: ServerResponse, headers: Record<string, string>, now: number, onBusy: () => void): void {
    const held = this.receiver;
    if (held !== undefined && !isGone(held)) {
      if (this.waiting !== undefined) {
        refuseBusy(res, headers);
        onBusy();
        return;
      }
      const timer = setTimeout(() => {
        if (this.waiting?.res !== res) return;
        this.waiting = undefined;
        refuseBusy(res, headers);
        onBusy();
      }, this.limits.supersedeWaitMs);
      this.waiting = { res, headers, timer, onBusy };
      res.once('close', () => {
        if (this.waiting?.res !== res) return;
        clearTimeout(timer);
        this.waiting = undefined;
      });
      return;
    }
    // A held request whose socket is already gone (its close event not yet emitted) is forgotten.
    this.receiver = undefined;
    this.attach(res, headers, now);
  }

  send(frame: EncodedFrame): void {
    this.deliver(frame);
  }

  sendBatch(batch: FrameBatch): void {
    this.deliver(batch);
  }

  close(code: number, reason: string): void {
    if (this.pendingClose !== undefined) return;
    this.pendingClose = closeLine(code, reason.slice(0, 120));
    this.flush(Date.now());
    this.finish(code);
  }

  /** Text frames from an `xhr_send` body, in order. Ignored once closed. */
  receive(texts: readonly string[]): void {
    for (const text of texts) {
      if (this.pendingClose !== undefined) return;
      this.listener?.message(text);
    }
  }

  get isClosed(): boolean {
    return this.pendingClose !== undefined;
  }

  /** True once the session is closed and its close line has been delivered (or cannot be). */
  get isDone(): boolean {
    return this.pendingClose === '';
  }

  /**
   * Timer work, called by the transport's sweeper: heartbeats on idle receive requests and expiry
   * of sessions without one. Returns false when the session is over and should be forgotten.
   */
  tick(now: number, timings: SessionTimings): boolean {
    const { heartbeatMs, expiryMs, abandonGraceMs } = timings;
    if (this.isDone) {
      this.endWaiting();
      this.release('', now);
      return false;
    }
    const res = this.receiver;
    if (res === undefined) {
      const limit = this.abandoned ? Math.min(abandonGraceMs, expiryMs) : expiryMs;
      if (now - this.detachedAt < limit) return true;
      // Nobody came back for it: the client is gone, as when a socket drops.
      this.pendingClose = '';
      this.outbox = [];
      this.outboxBytes = 0;
      this.finish(Errors.ConnectionLost.wsCode);
      return false;
    }
    if (now - this.lastWriteAt >= heartbeatMs) {
      if (this.kind === 'xhr_streaming') {
        if (!this.streamFull) this.write(res, HEARTBEAT_LINE, now);
      }
      // A poll answered with `h` ends; the client polls again at once.
      else this.release(HEARTBEAT_LINE, now);
    }
    return true;
  }

  /** Ends any held request (shutdown). */
  shutdown(): void {
    this.endWaiting();
    this.release('', Date.now());
    this.pendingClose ??= '';
  }

  private deliver(item: EncodedFrame | FrameBatch): void {
    if (this.pendingClose !== undefined) return;
    const res = this.receiver;
    if (res !== undefined && this.kind === 'xhr_streaming' && this.outbox.length === 0 && !this.streamFull) {
      if (res.writableLength > this.limits.maxBufferedBytes) {
        this.cutOff();
        return;
      }
      this.write(res, messageLine(item), Date.now(), messageBody(item).length + LINE_OVERHEAD);
      return;
    }
    const body = messageBody(item);
    this.outbox.push(body);
    this.outboxBytes += body.length;
    if (this.outboxBytes > this.limits.maxBufferedBytes) {
      // A stalled poller must not grow the heap: drop what waits and leave it the close frame.
      this.outbox = [];
      this.outboxBytes = 0;
      this.close(Errors.SlowConsumer.wsCode, 'too many unread messages');
      return;
    }
    if (res !== undefined && !this.flushScheduled) {
      // Let the rest of this turn's frames (a subscribe's replies, a hub flush) join the answer.
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush(Date.now());
      });
    }
  }

  /** Writes what waits (outbox, then close line) to the held request; a poll is answered and ends. */
  private flush(now: number): void {
    const res = this.receiver;
    // A full stream is about to be replaced by the client; the next one gets what waits.
    if (res === undefined || this.streamFull) return;
    let text = '';
    if (this.outbox.length > 0) {
      text = arrayLine(this.outbox.join(','));
      this.outbox = [];
      this.outboxBytes = 0;
    }
    const closing = Boolean(this.pendingClose);
    if (closing) {
      text += this.pendingClose;
      this.pendingClose = '';
    }
    if (text === '') return;
    if (this.kind === 'xhr_polling' || closing) this.release(text, now);
    else this.write(res, text, now);
  }

  /** Makes `res` the receive request and sends what waits (a poll is answered and ends). */
  private attach(res: ServerResponse, headers: Record<string, string>, now: number): void {
    res.writeHead(200, { ...RECEIVE_HEADERS, ...headers });
    this.attachReceiver(res, now);
    // An idle poll is held until a frame arrives or the heartbeat is due.
    this.flush(now);
  }

  private attachReceiver(res: ServerResponse, now: number): void {
    this.receiver = res;
    this.abandoned = false;
    this.lastWriteAt = now;
    this.streamChars = 0;
    res.once('close', () => {
      if (this.receiver !== res) return;
      // The client dropped it (we clear `receiver` before ending a request ourselves).
      this.receiver = undefined;
      const at = Date.now();
      this.detachedAt = at;
      if (!this.promoteWaiting(at)) this.abandoned = true;
    });
  }

  /** Ends the held request with `last` (may be empty) and starts the expiry clock. */
  private release(last: string, now: number): void {
    const res = this.receiver;
    if (res === undefined) return;
    this.receiver = undefined;
    this.detachedAt = now;
    res.end(last);
    this.promoteWaiting(now);
  }

  /** The request waiting for the receive slot takes it; false when there was none. */
  private promoteWaiting(now: number): boolean {
    const next = this.waiting;
    if (next === undefined) return false;
    this.waiting = undefined;
    clearTimeout(next.timer);
    if (isGone(next.res)) return false;
    if (this.isDone) {
      next.res.writeHead(200, { ...RECEIVE_HEADERS, ...next.headers });
      next.res.end();
      return false;
    }
    this.attach(next.res, next.headers, now);
    return true;
  }

  /** Ends a waiting request without a frame (the session is over or shutting down). */
  private endWaiting(): void {
    const next = this.waiting;
    if (next === undefined) return;
    this.waiting = undefined;
    clearTimeout(next.timer);
    if (!next.res.headersSent) next.res.writeHead(200, { ...RECEIVE_HEADERS, ...next.headers });
    next.res.end();
  }

  /** `chars` is the chunk's length as the client counts it (given for a Buffer). */
  private write(res: ServerResponse, chunk: string | Buffer, now: number, chars = chunk.length): void {
    this.lastWriteAt = now;
    this.streamChars += chars;
    res.write(chunk);
  }

  /** The stream has passed the length at which pusher-js replaces it. */
  private get streamFull(): boolean {
    return this.kind === 'xhr_streaming' && this.streamChars > STREAM_CHAR_LIMIT;
  }

  /** The client stopped reading its stream: a close line would sit behind the backlog, so drop it. */
  private cutOff(): void {
    const res = this.receiver;
    this.receiver = undefined;
    this.pendingClose = '';
    this.endWaiting();
    res?.destroy();
    this.finish(Errors.SlowConsumer.wsCode);
  }

  private finish(code: number): void {
    const listener = this.listener;
    this.listener = undefined;
    if (listener === undefined) return;
    // Reported on the next turn, as a socket's close event is, so core never re-enters itself.
    setImmediate(() => listener.closed(code));
  }
}

/** `a[` and `]\n` around a message body. */
const LINE_OVERHEAD = 4;

/** True when the request's socket is already closed, whether or not its close event has fired. */
function isGone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded || res.socket === null || res.socket.destroyed;
}

/** SockJS's answer to a second receive request on a session: this request is closed, the session is not. */
function refuseBusy(res: ServerResponse, headers: Record<string, string>): void {
  if (isGone(res)) return;
  res.writeHead(200, { ...RECEIVE_HEADERS, ...headers });
  res.end(closeLine(Errors.AnotherConnectionOpen.wsCode, 'Another connection still open'));
}
