import type { WebhookKind } from '../protocol/webhook-kinds.js';

/**
 * One entry of a webhook body's `events` array, as Pusher sends it (`name` is the kind). `channel`
 * is present on every channel kind; the user and connection kinds have none.
 */
export interface WebhookEvent {
  readonly name: WebhookKind;
  readonly channel?: string;
  readonly [field: string]: unknown;
}

/** `filter` of one configured webhook: channel events pass only when the name matches both ends. */
export interface WebhookFilter {
  readonly channel_name_starts_with?: string | undefined;
  readonly channel_name_ends_with?: string | undefined;
}

/** One configured endpoint of an app. */
export interface WebhookTarget {
  readonly url: string;
  readonly eventTypes: ReadonlySet<WebhookKind>;
  readonly filter?: WebhookFilter | undefined;
  /** Extra request headers (never override the signature headers). */
  readonly headers: Readonly<Record<string, string>>;
}

/** Whether a target wants an event. Events without a channel are not subject to the channel filter. */
export function targetWants(target: WebhookTarget, event: WebhookEvent): boolean {
  if (!target.eventTypes.has(event.name)) return false;
  const { channel } = event;
  if (channel === undefined || !target.filter) return true;
  const { channel_name_starts_with: starts, channel_name_ends_with: ends } = target.filter;
  return (starts === undefined || channel.startsWith(starts)) && (ends === undefined || channel.endsWith(ends));
}
