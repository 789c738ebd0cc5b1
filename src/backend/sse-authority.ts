import type { Logger } from 'pino';
import type { AppStore } from '../apps/app-store.js';
import type { LogLimiter } from '../core/log-limiter.js';
import { hmacHex, privateChannelSignedString, safeEqual } from '../protocol/signature.js';
import type { SseAuthority } from '../seams/sse-authority.js';

/** The longest a token may stay valid, so a leaked URL does not open a private channel for ever. */
export const MAX_SSE_TOKEN_SECONDS = 7 * 24 * 3600;

/** The string an SSE token signs: the `channels` query value exactly as sent, a colon, `expires`. */
export function sseTokenSignedString(channels: string, expires: string): string {
  return `${channels}:${expires}`;
}

/**
 * SSE tokens for private channels, checked with the app's secret:
 * `token = key + ":" + hex(HMAC-SHA256(secret, channels + ":" + expires))`, `expires` a Unix time in
 * seconds. A token names the whole channel list, so it cannot be stretched to other channels.
 */
export class SseTokens implements SseAuthority {
  constructor(
    private readonly apps: AppStore,
    /** Where refused tokens are logged (info, rate-limited per reason); silent when absent. */
    private readonly logging?: { readonly log: Logger; readonly limiter: LogLimiter },
  ) {}

  checkToken(appKey: string, channels: string, expires: string | null, token: string | null, nowMs: number): string | undefined {
    const why = this.problem(appKey, channels, expires, token, nowMs);
    if (why !== undefined && this.logging) {
      this.logging.limiter.write(this.logging.log, 'info', `sse token refused:${why.replace(/\d+/g, 'N')}`, { appKey: appKey.slice(0, 100), reason: why }, 'sse token refused');
    }
    return why;
  }

  private problem(appKey: string, channels: string, expires: string | null, token: string | null, nowMs: number): string | undefined {
    const app = this.apps.byKey(appKey);
    if (!app) return 'unknown app';
    if (token === null || token === '') return 'private channels need token and expires parameters signed by the application';
    if (expires === null || !/^\d{1,12}$/.test(expires)) return 'expires must be a Unix time in seconds';
    const seconds = Number(expires);
    if (seconds * 1000 <= nowMs) return 'token expired';
    if (seconds * 1000 - nowMs > MAX_SSE_TOKEN_SECONDS * 1000) return `expires more than ${MAX_SSE_TOKEN_SECONDS} seconds ahead`;
    const expected = `${app.key}:${hmacHex(app.secret, sseTokenSignedString(channels, expires))}`;
    return safeEqual(token, expected) ? undefined : 'invalid token';
  }

  channelAuth(appKey: string, socketId: string, channel: string): string | undefined {
    const app = this.apps.byKey(appKey);
    return app ? `${app.key}:${hmacHex(app.secret, privateChannelSignedString(socketId, channel))}` : undefined;
  }
}
