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
