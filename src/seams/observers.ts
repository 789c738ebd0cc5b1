/**
 * What the backend reports about its work, for whoever watches it (ops: metrics, the dashboard, the
 * debug console). The backend calls these; ops implements them; neither imports the other.
 */

/** Requests the HTTP API answered, for metrics. Must not throw. */
export interface ApiObserver {
  request?(e: { route: string; method: string; status: number; ms: number }): void;
}

/** Consumer outcomes, for metrics. Every method is optional and must not throw. */
export interface QueueObserver {
  /** An entry's events were all handed to fan-out. */
  consumed?(e: { appId: string; events: number }): void;
  /** A malformed entry went to the dead-letter stream. */
  deadLettered?(e: { reason: string }): void;
  /** An entry whose idempotency id was seen within the window; acknowledged, not published. */
  duplicate?(e: { appId: string }): void;
  /** Redis became unreachable (`up: false`) or reachable again. */
  connection?(e: { up: boolean }): void;
}

/**
 * Delivery outcomes, for metrics (Prometheus counters, the dashboard). Every method is optional and
 * must not throw. `events` counts webhook events, not requests.
 */
export interface WebhookObserver {
  /** `ms`: from the first attempt to the 2xx, retries included. */
  delivered?(e: { appId: string; url: string; events: number; attempts: number; ms: number }): void;
  retried?(e: { appId: string; url: string; attempt: number; reason: string }): void;
  dropped?(e: { appId: string; url: string; events: number; reason: 'retry-limit' | 'backlog-full' | 'shutdown' }): void;
}
