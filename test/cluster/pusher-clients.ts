import PusherServer from 'pusher';
import PusherModule from 'pusher-js';
import type * as PusherTypes from 'pusher-js/types/src/core/pusher.js';
import type * as ChannelTypes from 'pusher-js/types/src/core/channels/channel.js';

export type Pusher = PusherTypes.default;
export type Channel = ChannelTypes.default;
/** pusher-js's CommonJS export is the constructor itself; its typings only declare a default export. */
export const Pusher = PusherModule as unknown as new (key: string, options: object) => Pusher;

/** The `pusher` server SDK aimed at one node. */
export function sdk(port: number): PusherServer {
  return new PusherServer({ appId: 'app-id', key: 'app-key', secret: 'app-secret', host: '127.0.0.1', port: String(port), useTLS: false });
}

/** pusher-js on one node, signing its own subscriptions as the application would. */
export function client(port: number, user?: string): Pusher {
  const signer = sdk(port);
  return new Pusher('app-key', {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }: { socketId: string; channelName: string }, cb: (e: Error | null, d: unknown) => void) =>
        cb(null, channelName.startsWith('presence-') && user ? signer.authorizeChannel(socketId, channelName, { user_id: user, user_info: { name: user } }) : signer.authorizeChannel(socketId, channelName)),
    },
    userAuthentication: {
      customHandler: ({ socketId }: { socketId: string }, cb: (e: Error | null, d: unknown) => void) => cb(null, signer.authenticateUser(socketId, { id: user ?? 'anon' })),
    },
  });
}

export function nextEvent<T = unknown>(target: Channel | Pusher, event: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const handler = (data: T): void => {
      clearTimeout(timer);
      target.unbind(event, handler);
      resolve(data);
    };
    const timer = setTimeout(() => {
      target.unbind(event, handler);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    target.bind(event, handler);
  });
}

export async function subscribe(pusher: Pusher, name: string): Promise<Channel> {
  const channel = pusher.subscribe(name);
  if (!channel.subscribed) await nextEvent(channel, 'pusher:subscription_succeeded');
  return channel;
}

export function memberCount(channel: Channel): number {
  return (channel as unknown as { members: { count: number } }).members.count;
}
