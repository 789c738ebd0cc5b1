/** The Pusher webhook kinds, then Switchboard's opt-in ones (never sent unless a webhook lists them). */
export const WEBHOOK_KINDS = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
  'subscription_count',
  'user_online',
  'user_offline',
  'connection_opened',
  'connection_closed',
] as const;

export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

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
