import http from 'node:http';
import assert from 'node:assert/strict';
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

/** The connection states a client goes through from now on (empty while it stays connected). */
export function stateChanges(client: PusherClient): string[] {
  const states: string[] = [];
  client.connection.bind('state_change', ({ current }: { current: string }) => states.push(current));
  return states;
}

/** The `{server}/{session}` pusher-js chose for its HTTP session. */
export function sessionOf(client: PusherClient): string {
  const conn = client.connection as unknown as { connection?: { transport?: { socket?: { session?: string } } } };
  return conn.connection?.transport?.socket?.session ?? '';
}

/**
 * Who makes a raw request: extra headers (Origin, X-Forwarded-For) and the loopback address it comes
 * from (`127.0.0.2` is another client than `127.0.0.1` on Linux, which routes all of 127/8 to lo).
 */
export interface Peer {
  readonly headers?: Record<string, string>;
  readonly from?: string;
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

  constructor(port: number, path: string, peer: Peer = {}) {
    let resolveEnded!: () => void;
    this.ended = new Promise((resolve) => (resolveEnded = resolve));
    this.request = http.request({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...peer.headers },
      agent: false,
      ...(peer.from ? { localAddress: peer.from } : {}),
    });
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
export function rawSend(port: number, path: string, body: string, peer: Peer = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...peer.headers },
        agent: false,
        ...(peer.from ? { localAddress: peer.from } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The query pusher-js puts on receive requests. */
export const Q = '?protocol=7&client=js&version=8.6.0&t=1&n=1';

/** Posts Pusher frames (objects are JSON-encoded, strings sent as they are) to a session's `xhr_send`. */
export function send(port: number, session: string, frames: unknown[], peer: Peer = {}): Promise<{ status: number; text: string }> {
  return rawSend(port, `${session}/xhr_send`, JSON.stringify(frames.map((f) => (typeof f === 'string' ? f : JSON.stringify(f)))), peer);
}

export function subscribe(port: number, session: string, channel: string, peer: Peer = {}): Promise<{ status: number; text: string }> {
  return send(port, session, [{ event: 'pusher:subscribe', data: { channel } }], peer);
}

/** Opens a streaming session (a fresh one unless `session` is given) and waits for connection_established. */
export async function stream(port: number, peer: Peer = {}, session = newSessionPath()): Promise<{ session: string; rx: RawReceive; socketId: string }> {
  const rx = new RawReceive(port, `${session}/xhr_streaming${Q}`, peer);
  await rx.next((l) => l.type === 'o');
  const established = await rx.frame('pusher:connection_established');
  return { session, rx, socketId: (JSON.parse(established.data as string) as { socket_id: string }).socket_id };
}

/** The socket id in a poll answer that carries connection_established (an `a[…]` line). */
export function establishedSocketId(line: string | undefined): string {
  const established = JSON.parse((JSON.parse((line ?? '').slice(1)) as string[])[0] ?? '{}') as { event?: string; data: string };
  assert.equal(established.event, 'pusher:connection_established');
  return (JSON.parse(established.data) as { socket_id: string }).socket_id;
}

/** One poll; resolves with the lines it carried once it ends. */
export async function poll(port: number, session: string, peer: Peer = {}, timeoutMs = 10_000): Promise<string[]> {
  const rx = new RawReceive(port, `${session}/xhr${Q}`, peer);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([rx.ended, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('poll never ended')), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
  }
  return rx.lines.map((l) => l.type + l.body);
}

/** Waits until `cond` holds, checking every 20 ms. */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let sessionCounter = 0;
/** A fresh `{server}/{session}` pair in pusher-js's shape. */
export function newSessionPath(key = 'app-key'): string {
  sessionCounter++;
  return `/pusher/app/${key}/${sessionCounter % 1000}/${Math.random().toString(32).slice(2, 10).padEnd(8, '0')}`;
}
