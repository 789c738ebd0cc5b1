/**
 * The one catalogue of errors Switchboard reports to the outside world.
 *
 * Core and backend code throw `GatewayError` with a catalogue entry; only the edges (the socket
 * session, the HTTP API, the config loader) translate an entry into a wire form: a `pusher:error`
 * frame and/or close code on sockets, an HTTP status with a JSON `{error}` body on the API.
 */
export interface ErrorKind {
  /** Stable identifier, used in logs and metrics. */
  readonly id: string;
  /**
   * Pusher close/error code (4000–4399) when the error belongs on a socket; on the HTTP fallbacks
   * also SockJS's own close codes (2010), sent as a `c[code,"reason"]` line.
   */
  readonly wsCode?: number;
  /** HTTP status when the error belongs on the API. */
  readonly httpStatus?: number;
  /** Whether the socket is closed after the `pusher:error`. */
  readonly closes?: boolean;
}

/** Keeps each entry's own fields in its type, so `Errors.X.wsCode` is a number where X has one. */
function kind<K extends string, T extends Omit<ErrorKind, 'id'>>(id: K, k: T): Readonly<T> & { readonly id: K } {
  return { id, ...k };
}

export const Errors = {
  // Connection admission (WebSocket close codes, pusher-js stops reconnecting on 4000–4099).
  AppNotFound: kind('AppNotFound', { wsCode: 4001, httpStatus: 404, closes: true }),
  AppDisabled: kind('AppDisabled', { wsCode: 4003, httpStatus: 403, closes: true }),
  OverConnectionQuota: kind('OverConnectionQuota', { wsCode: 4004, closes: true }),
  PathNotFound: kind('PathNotFound', { wsCode: 4005, httpStatus: 404, closes: true }),
  UnsupportedProtocol: kind('UnsupportedProtocol', { wsCode: 4007, closes: true }),
  NoProtocol: kind('NoProtocol', { wsCode: 4008, closes: true }),
  Unauthorized: kind('Unauthorized', { wsCode: 4009, closes: true }),
  OriginNotAllowed: kind('OriginNotAllowed', { wsCode: 4009, httpStatus: 403, closes: true }),
  // Reconnect-now codes.
  ShuttingDown: kind('ShuttingDown', { wsCode: 4200, closes: true }),
  PongTimeout: kind('PongTimeout', { wsCode: 4201, closes: true }),
  SlowConsumer: kind('SlowConsumer', { wsCode: 4100, closes: true }),
  // Errors that leave the connection open.
  InvalidFrame: kind('InvalidFrame', {}),
  FrameTooLarge: kind('FrameTooLarge', {}),
  InvalidChannel: kind('InvalidChannel', { httpStatus: 400 }),
  ClientEventRejected: kind('ClientEventRejected', {}),
  ClientEventRateLimited: kind('ClientEventRateLimited', { wsCode: 4301 }),
  WatchlistOverLimit: kind('WatchlistOverLimit', { wsCode: 4302 }),
  TooManySubscriptions: kind('TooManySubscriptions', {}),
  // HTTP API.
  BadRequest: kind('BadRequest', { httpStatus: 400 }),
  AuthFailed: kind('AuthFailed', { httpStatus: 401 }),
  Forbidden: kind('Forbidden', { httpStatus: 403 }),
  NotFound: kind('NotFound', { httpStatus: 404 }),
  MethodNotAllowed: kind('MethodNotAllowed', { httpStatus: 405 }),
  PayloadTooLarge: kind('PayloadTooLarge', { httpStatus: 413 }),
  RateLimited: kind('RateLimited', { httpStatus: 429 }),
  Unavailable: kind('Unavailable', { httpStatus: 503 }),
  // HTTP fallback sessions (xhr_streaming / xhr_polling).
  /** A request for a session from another client (address through trusted proxies, or Origin) than the one that opened it. */
  SessionNotYours: kind('SessionNotYours', { httpStatus: 403 }),
  /** A second receive request (stream or held poll) while the session's first is still open; SockJS's answer. */
  AnotherConnectionOpen: kind('AnotherConnectionOpen', { wsCode: 2010 }),
  // Configuration.
  InvalidConfig: kind('InvalidConfig', {}),
} as const;

export type ErrorId = keyof typeof Errors;

/** A typed error from the catalogue; `message` is safe to show to the client that caused it. */
export class GatewayError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = `GatewayError(${kind.id})`;
  }
}

export function fail(kind: ErrorKind, message: string): never {
  throw new GatewayError(kind, message);
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}
