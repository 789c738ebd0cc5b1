import type { EncodedFrame, FrameBatch } from '../protocol/encoded-frame.js';
import type { RefusalKind } from '../protocol/errors.js';

/**
 * The seam between transports and core. A transport (WebSocket, HTTP streaming/polling, …) turns a
 * client into a `Link`; core never learns which transport it is talking to beyond `kind`.
 */
export interface Link {
  /** Transport name, for metrics and logs: `ws`, `xhr_streaming`, `xhr_polling`, … */
  readonly kind: string;
  readonly remoteAddress: string;
  /**
   * Queues one frame for the client. Never throws. Frames are delivered in call order. When the
   * client's unsent backlog passes the transport's bound the link is cut off (close 4100) instead.
   */
  send(frame: EncodedFrame): void;
  /** Queues several frames as one write; same guarantees as `send`. */
  sendBatch(batch: FrameBatch): void;
  /**
   * Closes the link with a Pusher close code (sent to the client where the transport can) and
   * then reports `closed` to the listener exactly once. Idempotent.
   */
  close(code: number, reason: string): void;
}

/** What a transport tells core about a link it admitted. Called at most once each for `closed`. */
export interface LinkListener {
  /** One text frame from the client, in arrival order. */
  message(text: string): void;
  /** The link is gone; `code` is the close code (ours or the client's). */
  closed(code: number): void;
}

/** What a transport knows about a connection attempt before admitting it. */
export interface ConnectRequest {
  readonly appKey: string;
  readonly protocol: string | null;
  readonly origin: string | undefined;
  /**
   * The browser vouched that a page of the gateway's own origin made the request: no Origin header
   * and `Sec-Fetch-Site: same-origin` (both set by browsers only). Same-origin GETs, such as an
   * EventSource, carry no Origin, so the allow-list cannot be checked and need not be.
   */
  readonly sameOrigin?: boolean;
  readonly remoteAddress: string;
  readonly kind: string;
}

/**
 * The answer to a connection attempt. A refusal carries its catalogue kind: sockets get its
 * `wsCode` (`pusher:error`, then close), HTTP transports its `httpStatus`.
 */
export type Admission =
  | { readonly ok: false; readonly kind: RefusalKind; readonly message: string }
  | { readonly ok: true; readonly open: (link: Link) => LinkListener };

/** Decides whether a connection may open; implemented by core. Must not throw. */
export interface Acceptor {
  admit(request: ConnectRequest): Admission;
}
