import http from 'node:http';
import PusherModule from 'pusher-js';
import type * as PusherTypes from 'pusher-js/types/src/core/pusher.js';
import PusherServer from 'pusher';

/** pusher-js's CommonJS export is the constructor itself; its typings only declare a default export. */
export type PusherClient = PusherTypes.default;
const Pusher = PusherModule as unknown as new (key: string, options: object) => PusherClient;

export type FallbackTransport = 'xhr_streaming' | 'xhr_polling';

/** The `pusher` server SDK, as the application backend signs and publishes. */
export function serverSdk(port: number, opts: { host?: string; secret?: string } = {}): PusherServer {
  return new PusherServer({ appId: 'app-id', key: 'app-key', secret: opts.secret ?? 'app-secret', host: opts.host ?? '127.0.0.1', port: String(port), useTLS: false });
}

/**
 * pusher-js (node build) restricted to one transport. HTTP transports go to `httpHost:httpPort`;
 * `wsHost` is set to a name that cannot resolve to prove it is never used by them.
 */
export function fallbackClient(
  port: number,
  transport: FallbackTransport | 'ws',
  opts: { user?: { id: string; info?: unknown }; forge?: boolean; sdkPort?: number; httpPath?: string } = {},
): PusherClient {
  const sdk = serverSdk(opts.sdkPort ?? port, opts.forge ? { secret: 'not-the-secret' } : {});
  const ws = transport === 'ws';
  return new Pusher('app-key', {
    cluster: 'mt1',
    wsHost: ws ? '127.0.0.1' : 'ws-host-unused.invalid',
    wsPort: port,
    httpHost: '127.0.0.1',
    httpPort: port,
    ...(opts.httpPath ? { httpPath: opts.httpPath } : {}),
    forceTLS: false,
    enabledTransports: [transport],
    disableStats: true,
    channelAuthorization: {
      customHandler: ({ socketId, channelName }: { socketId: string; channelName: string }, callback: (e: Error | null, d: unknown) => void) => {
        const presence = channelName.startsWith('presence-') && opts.user ? { user_id: opts.user.id, user_info: opts.user.info } : undefined;
        callback(null, presence ? sdk.authorizeChannel(socketId, channelName, presence as never) : sdk.authorizeChannel(socketId, channelName));
      },
    },
    userAuthentication: {
      customHandler: ({ socketId }: { socketId: string }, callback: (e: Error | null, d: unknown) => void) => {
        if (!opts.user) return callback(new Error('no user'), null);
        callback(null, sdk.authenticateUser(socketId, { id: opts.user.id }));
      },
    },
  });
}

export { connected, nextEvent } from '../helpers/clients.js';

/** The transport pusher-js is actually using. */
export function transportOf(client: PusherClient): string {
  return (client.connection as unknown as { connection?: { transport?: { name?: string } } }).connection?.transport?.name ?? '';
}

/** The `{server}/{session}` pusher-js chose for its HTTP session. */
export function sessionOf(client: PusherClient): string {
  const conn = client.connection as unknown as { connection?: { transport?: { socket?: { session?: string } } } };
  return conn.connection?.transport?.socket?.session ?? '';
}

export interface Line {
  readonly type: string;
  readonly body: string;
}

/**
 * A hand-driven fallback session for protocol tests: reads a receive response line by line and
 * lets a test await the next line that matches.
 */
export class RawReceive {
  readonly lines: Line[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  readonly ended: Promise<void>;
  private buffer = '';
  private cursor = 0;
  private wake: (() => void) | undefined;
  private request: http.ClientRequest;

  constructor(port: number, path: string, headers: Record<string, string> = {}) {
    let resolveEnded!: () => void;
    this.ended = new Promise((resolve) => (resolveEnded = resolve));
    this.request = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, agent: false });
    this.request.on('response', (res) => {
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        this.buffer += chunk;
        let nl: number;
        while ((nl = this.buffer.indexOf('\n')) >= 0) {
          const line = this.buffer.slice(0, nl);
          this.buffer = this.buffer.slice(nl + 1);
          this.lines.push({ type: line.slice(0, 1), body: line.slice(1) });
        }
        this.wake?.();
      });
      res.on('close', () => {
        resolveEnded();
        this.wake?.();
      });
    });
    this.request.on('error', () => resolveEnded());
    this.request.end();
  }

  /** The next line (after the last one consumed) matching `pred`. */
  async next(pred: (l: Line) => boolean = () => true, timeoutMs = 10_000): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (; this.cursor < this.lines.length; this.cursor++) {
        const line = this.lines[this.cursor] as Line;
        if (pred(line)) {
          this.cursor++;
          return line;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a line; got ${JSON.stringify(this.lines.slice(-5).map((l) => l.type + l.body.slice(0, 120)))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The next Pusher frame (from an `a[…]` line) whose event matches. */
  async frame(event: string, timeoutMs = 10_000): Promise<{ event: string; channel?: string; data?: unknown }> {
    const pending = this.pendingFrames;
    const hit = pending.findIndex((f) => f.event === event);
    if (hit >= 0) return pending.splice(hit, 1)[0] as { event: string };
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.next((l) => l.type === 'a', Math.max(1, deadline - Date.now()));
      for (const text of JSON.parse(line.body) as string[]) pending.push(JSON.parse(text) as { event: string });
      const found = pending.findIndex((f) => f.event === event);
      if (found >= 0) return pending.splice(found, 1)[0] as { event: string };
    }
  }

  private readonly pendingFrames: Array<{ event: string; channel?: string; data?: unknown }> = [];

  abort(): void {
    this.request.destroy();
  }
}

/** POSTs an `xhr_send` body; returns the status and the raw response text. */
export async function rawSend(port: number, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

let sessionCounter = 0;
/** A fresh `{server}/{session}` pair in pusher-js's shape. */
export function newSessionPath(key = 'app-key'): string {
  sessionCounter++;
  return `/pusher/app/${key}/${sessionCounter % 1000}/${Math.random().toString(32).slice(2, 10).padEnd(8, '0')}`;
}
