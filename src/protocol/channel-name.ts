/**
 * Channel names and kinds. Pusher documents 164 characters; the `pusher` SDK accepts 200, so do we.
 */
export const MAX_CHANNEL_NAME_LENGTH = 200;

const NAME_PATTERN = /^[A-Za-z0-9_\-=@,.;]+$/;
const USER_CHANNEL_PREFIX = '#server-to-user-';

export type ChannelKind = 'public' | 'private' | 'encrypted' | 'presence' | 'user';

export interface ChannelTraits {
  readonly kind: ChannelKind;
  /** Cache channels keep their last event and replay it to new subscribers. */
  readonly cache: boolean;
  /** Whether a subscription needs the application's signature. */
  readonly needsAuth: boolean;
}

/** Why a name is refused, or undefined when it is a valid channel name. */
export function channelNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'channel name must be a non-empty string';
  if (name.length > MAX_CHANNEL_NAME_LENGTH) return `channel name longer than ${MAX_CHANNEL_NAME_LENGTH} characters`;
  if (name.startsWith(USER_CHANNEL_PREFIX)) {
    const id = name.slice(USER_CHANNEL_PREFIX.length);
    return id.length > 0 ? undefined : 'user channel without a user id';
  }
  if (!NAME_PATTERN.test(name)) return 'channel name has characters outside [A-Za-z0-9_-=@,.;]';
  return undefined;
}

// Traits are looked up for every channel of every publish: hand out shared, frozen objects.
const traits = (kind: ChannelKind, cache: boolean): ChannelTraits => Object.freeze({ kind, cache, needsAuth: kind !== 'public' && kind !== 'user' });
const USER = traits('user', false);
const ENCRYPTED = traits('encrypted', false);
const ENCRYPTED_CACHE = traits('encrypted', true);
const PRIVATE = traits('private', false);
const PRIVATE_CACHE = traits('private', true);
const PRESENCE = traits('presence', false);
const PRESENCE_CACHE = traits('presence', true);
const PUBLIC = traits('public', false);
const PUBLIC_CACHE = traits('public', true);

export function channelTraits(name: string): ChannelTraits {
  if (name.startsWith(USER_CHANNEL_PREFIX)) return USER;
  if (name.startsWith('private-encrypted-')) return name.startsWith('private-encrypted-cache-') ? ENCRYPTED_CACHE : ENCRYPTED;
  if (name.startsWith('private-')) return name.startsWith('private-cache-') ? PRIVATE_CACHE : PRIVATE;
  if (name.startsWith('presence-')) return name.startsWith('presence-cache-') ? PRESENCE_CACHE : PRESENCE;
  return name.startsWith('cache-') ? PUBLIC_CACHE : PUBLIC;
}

export function userChannelName(userId: string): string {
  return USER_CHANNEL_PREFIX + userId;
}

export function userIdOfUserChannel(name: string): string | undefined {
  return name.startsWith(USER_CHANNEL_PREFIX) ? name.slice(USER_CHANNEL_PREFIX.length) : undefined;
}
