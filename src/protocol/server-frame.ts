import { EncodedFrame } from './encoded-frame.js';

/** The escaped parts of the last string-data channel event `channelEvent` encoded. */
let lastEvent = { event: '', data: '', head: '', tail: '' };

/**
 * Encoders for every server→client frame. Each returns the frame's JSON text; `data` fields that
 * Pusher double-encodes (connection_established, subscription_succeeded, member events…) are
 * JSON strings inside the JSON, exactly as pusher-js expects.
 */
export const ServerFrames = {
  connectionEstablished(socketId: string, activityTimeout: number): string {
    return JSON.stringify({
      event: 'pusher:connection_established',
      data: JSON.stringify({ socket_id: socketId, activity_timeout: activityTimeout }),
    });
  },
  error(message: string, code: number | null): string {
    return JSON.stringify({ event: 'pusher:error', data: { message, code } });
  },
  ping(): string {
    return '{"event":"pusher:ping","data":{}}';
  },
  pong(): string {
    return '{"event":"pusher:pong","data":{}}';
  },
  subscriptionSucceeded(channel: string, data: unknown = {}): string {
    return JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data: JSON.stringify(data) });
  },
  subscriptionError(channel: string, type: string, error: string, status: number): string {
    return JSON.stringify({ event: 'pusher:subscription_error', channel, data: { type, error, status } });
  },
  memberAdded(channel: string, userId: string, userInfo: unknown): string {
    return JSON.stringify({
      event: 'pusher_internal:member_added',
      channel,
      data: JSON.stringify(userInfo === undefined ? { user_id: userId } : { user_id: userId, user_info: userInfo }),
    });
  },
  memberRemoved(channel: string, userId: string): string {
    return JSON.stringify({ event: 'pusher_internal:member_removed', channel, data: JSON.stringify({ user_id: userId }) });
  },
  cacheMiss(channel: string): string {
    return JSON.stringify({ event: 'pusher:cache_miss', channel, data: '{}' });
  },
  subscriptionCount(channel: string, count: number): string {
    return JSON.stringify({ event: 'pusher_internal:subscription_count', channel, data: JSON.stringify({ subscription_count: count }) });
  },
  signinSuccess(userData: string): string {
    return JSON.stringify({ event: 'pusher:signin_success', data: JSON.stringify({ user_data: userData }) });
  },
  watchlistEvents(events: ReadonlyArray<{ name: 'online' | 'offline'; user_ids: string[] }>): string {
    return JSON.stringify({ event: 'pusher_internal:watchlist_events', data: JSON.stringify({ events }) });
  },
  /** After a `since` subscribe: whether every missed event was replayed, the newest position, and why not. */
  resume(channel: string, recovered: boolean, position?: string, error?: string): string {
    const data: Record<string, unknown> = { recovered };
    if (position !== undefined) data['position'] = position;
    if (error !== undefined) data['error'] = error;
    return JSON.stringify({ event: 'pusher_internal:resume', channel, data: JSON.stringify(data) });
  },
  /**
   * A channel event. `data` is forwarded as given: API publishes carry a string, client events may
   * carry any JSON value. Extra fields (`user_id`, `position`) are added only when present.
   */
  channelEvent(channel: string, event: string, data: unknown, userId?: string, position?: string): string {
    if (userId === undefined && position === undefined && typeof data === 'string') {
      // One publish to many channels encodes the same event and data once per channel: keep the
      // escaped parts of the last one and only escape the channel name.
      if (event !== lastEvent.event || data !== lastEvent.data) lastEvent = { event, data, head: `{"event":${JSON.stringify(event)},"channel":`, tail: `,"data":${JSON.stringify(data)}}` };
      return lastEvent.head + JSON.stringify(channel) + lastEvent.tail;
    }
    const frame: Record<string, unknown> = { event, channel, data };
    if (userId !== undefined) frame['user_id'] = userId;
    if (position !== undefined) frame['position'] = position;
    return JSON.stringify(frame);
  },
} as const;

export function encoded(text: string): EncodedFrame {
  return new EncodedFrame(text);
}
