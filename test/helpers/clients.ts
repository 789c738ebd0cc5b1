import PusherModule from 'pusher-js';
import type * as PusherTypesModule from 'pusher-js/types/src/core/pusher.js';
import type { PresenceChannelData } from 'pusher';
import PusherServer from 'pusher';

/** pusher-js's CommonJS export is the constructor itself; its typings only declare a default export. */
export type Pusher = PusherTypesModule.default;
export const Pusher = PusherModule as unknown as new (key: string, options: object) => Pusher;

export const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

/** The `pusher` server SDK pointed at a test gateway. */
export function serverSdk(port: number, opts: { appId?: string; key?: string; secret?: string } = {}): PusherServer {
  return new PusherServer({
    appId: opts.appId ?? 'app-id',
    key: opts.key ?? 'app-key',
    secret: opts.secret ?? 'app-secret',
    host: '127.0.0.1',
    port: String(port),
    useTLS: false,
    encryptionMasterKeyBase64: MASTER_KEY,
  });
}

export interface ClientOptions {
  /** Presence identity this client's authorizer signs. */
  user?: { id: string; info?: unknown; watchlist?: string[] };
  /** Sign with the wrong secret. */
  forge?: boolean;
  transports?: string[];
}

/**
 * pusher-js (node build) against a test gateway, with channel authorization and user
 * authentication signed by the real `pusher` SDK, as an application backend would.
 */
export function pusherClient(port: number, opts: ClientOptions = {}): Pusher {
  const sdk = serverSdk(port, opts.forge ? { secret: 'forged-secret' } : {});
  return new Pusher('app-key', {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: port,
    httpHost: '127.0.0.1',
    httpPort: port,
    forceTLS: false,
    enabledTransports: (opts.transports ?? ['ws']) as never,
    disableStats: true,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }: { socketId: string; channelName: string }, callback: (e: Error | null, d: unknown) => void) => {
        try {
          const presence = channelName.startsWith('presence-') && opts.user ? ({ user_id: opts.user.id, user_info: opts.user.info } as PresenceChannelData) : undefined;
          callback(null, presence ? sdk.authorizeChannel(socketId, channelName, presence) : sdk.authorizeChannel(socketId, channelName));
        } catch (error) {
          callback(error as Error, null);
        }
      },
    },
    userAuthentication: {
      customHandler: ({ socketId }: { socketId: string }, callback: (e: Error | null, d: unknown) => void) => {
        if (!opts.user) return callback(new Error('no user'), null);
        const userData: { id: string; watchlist?: string[] } = { id: opts.user.id };
        if (opts.user.watchlist) userData.watchlist = opts.user.watchlist;
        callback(null, sdk.authenticateUser(socketId, userData));
      },
    },
  } as never);
}

interface Bindable<T> {
  bind(event: string, cb: (data: T) => void): unknown;
  unbind(event: string, cb: (data: T) => void): unknown;
}

/** Resolves with the data of the next `event` on a pusher-js channel or connection. */
export function nextEvent<T = unknown>(target: Bindable<T>, event: string, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.unbind(event, handler);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    const handler = (data: T): void => {
      clearTimeout(timer);
      target.unbind(event, handler);
      resolve(data);
    };
    target.bind(event, handler);
  });
}

/** Resolves with the socket id once the client is connected; rejects if it takes too long. */
export async function connected(client: Pusher, timeoutMs = 20_000): Promise<string> {
  if (client.connection.state !== 'connected') await nextEvent(client.connection, 'connected', timeoutMs);
  return client.connection.socket_id;
}

/**
 * Signs a pusher-js client in and resolves once its `#server-to-user-` channel is subscribed
 * (pusher-js subscribes it right after `pusher:signin_success`).
 */
export async function signedIn(client: Pusher): Promise<void> {
  await connected(client);
  const user = client.user as unknown as { serverToUserChannel: { bind(e: string, cb: () => void): void } | null };
  const subscribed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sign-in timed out')), 8000);
    const onMessage = (event: { event: string }): void => {
      if (event.event !== 'pusher:signin_success' || !user.serverToUserChannel) return;
      client.connection.unbind('message', onMessage);
      user.serverToUserChannel.bind('pusher:subscription_succeeded', () => {
        clearTimeout(timer);
        resolve();
      });
    };
    client.connection.bind('message', onMessage);
  });
  client.signin();
  await subscribed;
}
