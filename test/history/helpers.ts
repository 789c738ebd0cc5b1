import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Gateway } from '../../src/gateway.js';
import type { Pusher } from '../helpers/clients.js';
import type { attachResume as AttachResume, RecoveredEvent, Resume } from '../../packages/switchboard-resume/index.js';

export type { RecoveredEvent, Resume };

/**
 * The add-on as shipped (a hand-written ES module outside the compiled tree), loaded from its source
 * directory so the tests run exactly the file users get.
 */
export async function loadAddon(): Promise<typeof AttachResume> {
  const url = new URL('../../../packages/switchboard-resume/index.js', import.meta.url);
  const mod = (await import(url.href)) as { attachResume: typeof AttachResume };
  return mod.attachResume;
}

/**
 * A loopback TCP proxy between a client and a gateway: the test can hold new connections (the
 * client's reconnect waits, so a gap is really a gap), move the target to another node, and cut
 * every connection as a network would.
 */
export class TcpProxy {
  private holding = false;
  private held: Array<() => void> = [];
  private readonly pairs = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    public target: number,
  ) {}

  static async start(target: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(server, (server.address() as { port: number }).port, target);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  private accept(client: Socket): void {
    client.on('error', () => client.destroy());
    this.pairs.add(client);
    client.once('close', () => this.pairs.delete(client));
    const forward = (): void => {
      if (client.destroyed) return;
      const upstream = connect(this.target, '127.0.0.1');
      upstream.on('error', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    };
    if (this.holding) {
      client.pause();
      this.held.push(forward);
    } else {
      forward();
    }
  }

  /** New connections wait (their bytes buffered) until `release`. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const forward of this.held.splice(0)) forward();
  }

  async close(): Promise<void> {
    this.release();
    for (const socket of this.pairs) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Kills a connection from the server side: the gateway drops the TCP socket without a close frame. */
export function killServerSide(gateway: Gateway, socketId: string): void {
  for (const conn of gateway.core.allConnections()) {
    if (conn.socketId !== socketId) continue;
    const ws = (conn.link as unknown as { ws?: { terminate(): void } }).ws;
    if (ws) ws.terminate();
    else conn.link.close(4200, 'killed by test');
    return;
  }
  throw new Error(`no connection ${socketId} on this gateway`);
}

/** Destroys the client's own TCP socket (pusher-js node build: faye-websocket's stream), as a network drop. */
export function killClientSide(client: Pusher): void {
  const manager = client.connection as unknown as { connection?: { transport?: { socket?: { _stream?: Socket } } } };
  const stream = manager.connection?.transport?.socket?._stream;
  if (!stream) throw new Error('no client socket to destroy');
  stream.destroy();
}

/** Resolves once the client's connection left `connected` (it noticed the drop). */
export function disconnected(client: Pusher, timeoutMs = 15_000): Promise<void> {
  if (client.connection.state !== 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still ${client.connection.state}`)), timeoutMs);
    const onChange = ({ current }: { current: string }): void => {
      if (current === 'connected') return;
      clearTimeout(timer);
      client.connection.unbind('state_change', onChange);
      resolve();
    };
    client.connection.bind('state_change', onChange);
  });
}

/** Resolves with the next raw frame of `event` on `channel` seen by the connection (pusher_internal:* too). */
export function nextFrame(client: Pusher, event: string, channel: string, timeoutMs = 15_000): Promise<{ data: unknown }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.connection.unbind('message', onMessage);
      reject(new Error(`timed out waiting for ${event} on ${channel}`));
    }, timeoutMs);
    const onMessage = (frame: { event: string; channel?: string; data: unknown }): void => {
      if (frame.event !== event || frame.channel !== channel) return;
      clearTimeout(timer);
      client.connection.unbind('message', onMessage);
      resolve(frame);
    };
    client.connection.bind('message', onMessage);
  });
}

/** Resolves with the next `recovered` from the add-on for `channel`. */
export function nextRecovered(resume: Resume, channel: string, timeoutMs = 20_000): Promise<RecoveredEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      resume.unbind('recovered', handler);
      reject(new Error(`no recovered event for ${channel}`));
    }, timeoutMs);
    const handler = (e: RecoveredEvent): void => {
      if (e.channel !== channel) return;
      clearTimeout(timer);
      resume.unbind('recovered', handler);
      resolve(e);
    };
    resume.bind('recovered', handler);
  });
}

/** Resolves when `predicate` holds after some event on `target`, checking at once first. */
export function until(target: { bind(e: string, cb: () => void): unknown; unbind(e: string, cb: () => void): unknown }, event: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.unbind(event, check);
      reject(new Error(`condition not met after ${event}`));
    }, timeoutMs);
    const check = (): void => {
      if (!predicate()) return;
      clearTimeout(timer);
      target.unbind(event, check);
      resolve();
    };
    target.bind(event, check);
  });
}
