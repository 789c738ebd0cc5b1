import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Lowercase hex HMAC-SHA256, the MAC used by every Pusher signature. */
export function hmacHex(secret: string, message: string | Buffer): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

export function md5Hex(body: string | Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

/** Constant-time string comparison; unequal lengths return false without leaking where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    // Compare anyway so the time does not depend on which check failed.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** The string a private channel's auth signs: `socket_id:channel`. */
export function privateChannelSignedString(socketId: string, channel: string): string {
  return `${socketId}:${channel}`;
}

/** The string a presence channel's auth signs: `socket_id:channel:channel_data`. */
export function presenceChannelSignedString(socketId: string, channel: string, channelData: string): string {
  return `${socketId}:${channel}:${channelData}`;
}

/** The string a user sign-in signs: `socket_id::user::user_data`. */
export function signinSignedString(socketId: string, userData: string): string {
  return `${socketId}::user::${userData}`;
}

/**
 * Checks a client-supplied `auth` value (`key:hexsignature`) against `signed`.
 * Returns false for a foreign key, a malformed value or a wrong signature.
 */
export function verifyClientAuth(auth: unknown, key: string, secret: string, signed: string): boolean {
  if (typeof auth !== 'string') return false;
  const colon = auth.indexOf(':');
  if (colon < 0) return false;
  const authKey = auth.slice(0, colon);
  const signature = auth.slice(colon + 1);
  const expected = hmacHex(secret, signed);
  // Evaluate both comparisons so a wrong key costs the same time as a wrong signature.
  const keyOk = safeEqual(authKey, key);
  const sigOk = safeEqual(signature, expected);
  return keyOk && sigOk;
}

/** Canonical query string of a signed API request: every param but auth_signature, keys lowercased and sorted. */
export function canonicalQuery(params: ReadonlyArray<readonly [string, string]>): string {
  return params
    .filter(([k]) => k.toLowerCase() !== 'auth_signature')
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** `auth_signature` of an API request: HMAC(secret, METHOD\nPATH\nQUERY). */
export function apiRequestSignature(secret: string, method: string, path: string, params: ReadonlyArray<readonly [string, string]>): string {
  return hmacHex(secret, `${method.toUpperCase()}\n${path}\n${canonicalQuery(params)}`);
}
