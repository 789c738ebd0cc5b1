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
   * Pusher code (4000–4399, or a WebSocket close code) when the error belongs on a socket: the
   * `code` of `pusher:error` and, when `closes`, the close code. On the HTTP fallbacks also SockJS's
   * own close codes (2010), sent as a `c[code,"reason"]` line.
   */
  readonly wsCode?: number;
  /**
   * HTTP status when the error belongs on HTTP (API, SSE, fallbacks, admin), and the `status` of a
   * `pusher:subscription_error`.
   */
  readonly httpStatus?: number;
  /** Whether the socket is closed after the `pusher:error`. */
  readonly closes?: boolean;
  /** `type` of the `pusher:subscription_error` when a subscription is refused with this kind. */
  readonly subscriptionType?: string;
}

/** Keeps each entry's own fields in its type, so `Errors.X.wsCode` is a number where X has one. */
function kind<const K extends string, const T extends Omit<ErrorKind, 'id'>>(id: K, k: T): T & { readonly id: K } {
  return { id, ...k };
}

/**
 * Every entry is documented in docs/errors.md (a test keeps the two equal): when it happens and what
 * a client should do.
 */
export const Errors = {
  // Connection admission and socket-level closes (pusher-js stops reconnecting on 4000–4099, backs
  // off and reconnects on 4100–4199, reconnects at once on 4200–4299).
  AppNotFound: kind('AppNotFound', { wsCode: 4001, httpStatus: 404, closes: true }),
  AppDisabled: kind('AppDisabled', { wsCode: 4003, httpStatus: 403, closes: true }),
  OverConnectionQuota: kind('OverConnectionQuota', { wsCode: 4004, httpStatus: 429, closes: true }),
  PathNotFound: kind('PathNotFound', { wsCode: 4005, httpStatus: 404, closes: true }),
  UnsupportedProtocol: kind('UnsupportedProtocol', { wsCode: 4007, httpStatus: 400, closes: true }),
  NoProtocol: kind('NoProtocol', { wsCode: 4008, httpStatus: 400, closes: true }),
  OriginNotAllowed: kind('OriginNotAllowed', { wsCode: 4009, httpStatus: 403, closes: true }),
  SigninFailed: kind('SigninFailed', { wsCode: 4009, closes: true }),
  SigninRequired: kind('SigninRequired', { wsCode: 4009, closes: true }),
  Terminated: kind('Terminated', { wsCode: 4009, closes: true }),
  SlowConsumer: kind('SlowConsumer', { wsCode: 4100, closes: true }),
  ShuttingDown: kind('ShuttingDown', { wsCode: 4200, httpStatus: 503, closes: true }),
  Reconnect: kind('Reconnect', { wsCode: 4200, closes: true }),
  PongTimeout: kind('PongTimeout', { wsCode: 4201, closes: true }),
  /** Not sent: the close code core hears when an HTTP client (SSE, fallback) went away without a word. */
  ConnectionLost: kind('ConnectionLost', { wsCode: 1006 }),
  // Frames and client events: answered with `pusher:error`, the connection stays open.
  InvalidFrame: kind('InvalidFrame', {}),
  FrameTooLarge: kind('FrameTooLarge', {}),
  ClientEventRejected: kind('ClientEventRejected', {}),
  ClientEventRateLimited: kind('ClientEventRateLimited', { wsCode: 4301 }),
  WatchlistOverLimit: kind('WatchlistOverLimit', { wsCode: 4302 }),
  // Subscriptions: answered with `pusher:subscription_error` {type, error, status}.
  InvalidChannel: kind('InvalidChannel', { httpStatus: 400, subscriptionType: 'InvalidChannel' }),
  TooManySubscriptions: kind('TooManySubscriptions', { httpStatus: 400, subscriptionType: 'LimitReached' }),
  SubscriptionAuthFailed: kind('SubscriptionAuthFailed', { httpStatus: 401, subscriptionType: 'AuthError' }),
  PresenceNeedsSignin: kind('PresenceNeedsSignin', { httpStatus: 401, subscriptionType: 'AuthError' }),
  UserChannelForbidden: kind('UserChannelForbidden', { httpStatus: 403, subscriptionType: 'AuthError' }),
  InvalidChannelData: kind('InvalidChannelData', { httpStatus: 400, subscriptionType: 'InvalidChannelData' }),
  PresenceFull: kind('PresenceFull', { httpStatus: 403, subscriptionType: 'LimitReached' }),
  UserInfoTooLarge: kind('UserInfoTooLarge', { httpStatus: 413, subscriptionType: 'LimitReached' }),
  // HTTP (API, SSE, fallbacks, admin), with a JSON {error} body.
  BadRequest: kind('BadRequest', { httpStatus: 400 }),
  AuthFailed: kind('AuthFailed', { httpStatus: 401 }),
  Forbidden: kind('Forbidden', { httpStatus: 403 }),
  NotFound: kind('NotFound', { httpStatus: 404 }),
  MethodNotAllowed: kind('MethodNotAllowed', { httpStatus: 405 }),
  PayloadTooLarge: kind('PayloadTooLarge', { httpStatus: 413 }),
  Unavailable: kind('Unavailable', { httpStatus: 503, subscriptionType: 'Unavailable' }),
  /** A fault of ours; the message never carries details. */
  Internal: kind('Internal', { httpStatus: 500, subscriptionType: 'InternalError' }),
  // HTTP fallback sessions (xhr_streaming / xhr_polling).
  /** A request for a session from another client (address through trusted proxies, or Origin) than the one that opened it. */
  SessionNotYours: kind('SessionNotYours', { httpStatus: 403 }),
  /** A second receive request (stream or held poll) while the session's first is still open; SockJS's answer. */
  AnotherConnectionOpen: kind('AnotherConnectionOpen', { wsCode: 2010 }),
  // Configuration.
  InvalidConfig: kind('InvalidConfig', {}),
} as const;

/** A kind that refuses a connection attempt: it has a close code for sockets and a status for HTTP. */
export type RefusalKind = ErrorKind & { readonly wsCode: number; readonly httpStatus: number; readonly closes: true };

/** A kind that closes an admitted connection. */
export type ClosingKind = ErrorKind & { readonly wsCode: number; readonly closes: true };

/** A kind a subscription can be refused with. */
export type SubscriptionKind = ErrorKind & { readonly httpStatus: number; readonly subscriptionType: string };

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

/**
 * How an error answers on HTTP: the kind's status (`BadRequest`'s for a kind without one) and its
 * message, or `Internal` without details for anything that is not a `GatewayError`.
 */
export function httpAnswerOf(error: unknown): { readonly status: number; readonly message: string } {
  if (isGatewayError(error)) return { status: error.kind.httpStatus ?? Errors.BadRequest.httpStatus, message: error.message };
  return { status: Errors.Internal.httpStatus, message: 'internal error' };
}
