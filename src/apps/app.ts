/** One tenant: its credentials, switches and limits. Immutable once loaded. */
export interface App {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
  readonly enabled: boolean;
  /** Origins allowed to open WebSocket/HTTP-fallback connections; `*` allows any. */
  readonly allowedOrigins: readonly string[];
  /** Concurrent connections on this node's view of the app; -1 is unlimited. */
  readonly maxConnections: number;
  /** Largest `data` of one event, in bytes (API publish and client events). */
  readonly maxEventBytes: number;
  readonly maxChannelsPerEvent: number;
  readonly maxBatchSize: number;
  readonly clientEvents: boolean;
  /** Client events per second per connection. */
  readonly clientEventRate: number;
  readonly maxPresenceMembers: number;
  readonly maxPresenceUserInfoBytes: number;
  /** Seconds a cache channel keeps its last event. */
  readonly cacheTtlSeconds: number;
  /** Send `pusher_internal:subscription_count` to subscribers. */
  readonly subscriptionCountEvents: boolean;
  /** Close connections that have not signed in after `signinGraceSeconds` (4009). */
  readonly requireSignin: boolean;
  readonly signinGraceSeconds: number;
  /** Resumable channels: names matching `pattern` (`*` = any run of characters) keep history. */
  readonly history: ReadonlyArray<{ readonly pattern: string; readonly maxEvents: number; readonly ttlSeconds: number }>;
}

export function originAllowed(app: App, origin: string | undefined): boolean {
  if (app.allowedOrigins.includes('*')) return true;
  if (origin === undefined) return false;
  return app.allowedOrigins.some((allowed) => allowed === origin || (allowed.startsWith('*.') && origin.endsWith(allowed.slice(1))));
}
