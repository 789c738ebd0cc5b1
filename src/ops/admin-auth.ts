import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const COOKIE = 'switchboard_admin';

/** A token for the admin listener when none is configured: 24 random bytes, URL-safe. */
export function generateAdminToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Who may use the admin listener's dashboard and JSON API: a request carrying the admin token as
 * `Authorization: Bearer <token>` (scripts, `switchboard status`) or the session cookie the login
 * form sets (the browser). The cookie holds an HMAC of the token, not the token, so it cannot be
 * replayed as a bearer token elsewhere; it is HttpOnly and SameSite=Strict, which keeps other sites
 * from riding on it. Comparisons are constant-time.
 */
export class AdminAuth {
  private readonly tokenDigest: Buffer;
  private readonly session: string;

  constructor(token: string) {
    this.tokenDigest = digest(token);
    this.session = createHmac('sha256', token).update('switchboard admin session v1').digest('base64url');
  }

  /** True when `candidate` is the admin token. */
  tokenMatches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.tokenDigest);
  }

  allows(req: IncomingMessage): boolean {
    return this.check(req) === 'ok';
  }

  /** `missing`: no bearer token and no session cookie; `wrong`: one was sent and does not match. */
  check(req: IncomingMessage): 'ok' | 'missing' | 'wrong' {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(.+)$/i.exec(header);
      return match !== null && this.tokenMatches((match[1] ?? '').trim()) ? 'ok' : 'wrong';
    }
    const cookie = readCookie(req.headers.cookie, COOKIE);
    if (cookie === undefined) return 'missing';
    return timingSafeEqual(digest(cookie), digest(this.session)) ? 'ok' : 'wrong';
  }

  /** The Set-Cookie value that logs a browser in. */
  loginCookie(): string {
    return `${COOKIE}=${this.session}; Path=/; HttpOnly; SameSite=Strict`;
  }

  static logoutCookie(): string {
    return `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
