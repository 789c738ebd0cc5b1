import type { App } from '../apps/app.js';
import { Errors, GatewayError } from '../protocol/errors.js';
import { apiRequestSignature, md5Hex, safeEqual } from '../protocol/signature.js';

/** How far `auth_timestamp` may be from the server clock, in seconds (Pusher: 600). */
export const MAX_CLOCK_SKEW_SECONDS = 600;

/**
 * Verifies Pusher request signing on an API call. Throws `GatewayError(AuthFailed)` (401) naming
 * what is wrong, never which byte of the signature.
 */
export function verifyApiRequest(app: App, method: string, path: string, params: URLSearchParams, body: Buffer, nowMs: number): void {
  const get = (name: string): string | null => params.get(name);
  const authKey = get('auth_key');
  const timestamp = get('auth_timestamp');
  const version = get('auth_version');
  const signature = get('auth_signature');
  if (authKey === null || timestamp === null || signature === null) throw new GatewayError(Errors.AuthFailed, 'missing auth_key, auth_timestamp or auth_signature');
  if (version !== null && version !== '1.0') throw new GatewayError(Errors.AuthFailed, 'unsupported auth_version');
  if (!safeEqual(authKey, app.key)) throw new GatewayError(Errors.AuthFailed, 'unknown auth_key');
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || Math.abs(nowMs / 1000 - seconds) > MAX_CLOCK_SKEW_SECONDS) {
    throw new GatewayError(Errors.AuthFailed, `auth_timestamp more than ${MAX_CLOCK_SKEW_SECONDS} s from server time`);
  }
  const bodyMd5 = get('body_md5');
  if (body.length > 0) {
    if (bodyMd5 === null || !safeEqual(bodyMd5, md5Hex(body))) throw new GatewayError(Errors.AuthFailed, 'body_md5 does not match the body');
  }
  const expected = apiRequestSignature(app.secret, method, path, [...params.entries()]);
  if (!safeEqual(signature, expected)) throw new GatewayError(Errors.AuthFailed, 'invalid auth_signature');
}
