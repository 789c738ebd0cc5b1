import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { originAllowed } from '../apps/app.js';
import type { AppStore } from '../apps/app-store.js';
import { channelTraits } from '../protocol/channel-name.js';
import { decodeClientFrame, type ClientFrame } from '../protocol/client-frame.js';
import { Errors, GatewayError, isGatewayError, type ClosingKind, type RefusalKind } from '../protocol/errors.js';
import { ServerFrames } from '../protocol/server-frame.js';
import type { Acceptor, Admission, ConnectRequest, Link, LinkListener } from '../seams/link.js';
import type { Cluster } from '../cluster/cluster.js';
import { Connection } from './connection.js';
import { LogLimiter } from './log-limiter.js';
import type { CoreObserver } from './observer.js';
import type { Subscriptions } from './subscriptions.js';
import type { Users } from './users.js';

export interface ConnectionOptions {
  /** Seconds of silence after which the client pings (sent in connection_established). */
  readonly activityTimeoutSeconds: number;
  /** Seconds the server waits for any frame after its own ping before closing with 4201. */
  readonly pongTimeoutSeconds: number;
  /** Room for the frame envelope (channel, auth, channel_data) on top of the app's event size. */
  readonly frameOverheadBytes: number;
  /** Shared rate limit on refusal log lines; one of its own when absent. */
  readonly logLimiter?: LogLimiter;
}

const MIN_PROTOCOL = 5;
const MAX_PROTOCOL = 7;

/**
 * Connection lifecycle: admission (app, origin, protocol, quota), the frame dispatcher, client
 * events, keep-alive (server pings, 4201 on a missed pong), sign-in deadlines and drain.
 *
 * Guarantee: nothing a client sends escapes its own connection: every frame is validated, and any
 * error is answered with `pusher:error` on that connection only.
 */
export class ConnectionManager implements Acceptor {
  private readonly connections = new Map<string, Connection>();
  private readonly perApp = new Map<string, number>();
  /** Cleanups of closed connections still in progress. */
  private readonly cleanups = new Set<Promise<void>>();
  private readonly settleWaiters: Array<() => void> = [];
  private sweeper: NodeJS.Timeout | undefined;
  private draining = false;
  private readonly limiter: LogLimiter;

  constructor(
    private readonly apps: AppStore,
    private readonly cluster: Cluster,
    private readonly subscriptions: Subscriptions,
    private readonly users: Users,
    private readonly observer: CoreObserver,
    private readonly log: Logger,
    private readonly options: ConnectionOptions,
  ) {
    this.limiter = options.logLimiter ?? new LogLimiter();
  }

  start(): void {
    const every = Math.max(250, Math.min(5000, (this.options.pongTimeoutSeconds * 1000) / 4));
    this.sweeper = setInterval(() => this.sweep(Date.now()), every);
    this.sweeper.unref();
  }

  admit(request: ConnectRequest): Admission {
    const reject = (kind: RefusalKind, message: string): Admission => {
      // No socket id yet: the remote address and the key it asked for say who was refused.
      this.limiter.write(this.log, 'info', `connection refused:${kind.id}`, { remoteAddress: request.remoteAddress, transport: request.kind, appKey: request.appKey.slice(0, 100), code: kind.wsCode, reason: message.slice(0, 200) }, 'connection refused');
      return { ok: false, kind, message };
    };
    if (this.draining) return reject(Errors.ShuttingDown, 'server is shutting down');
    const app = this.apps.byKey(request.appKey);
    if (!app) return reject(Errors.AppNotFound, `app key ${request.appKey} does not exist`);
    if (!app.enabled) return reject(Errors.AppDisabled, 'app is disabled');
    if (request.protocol === null || request.protocol === '') return reject(Errors.NoProtocol, 'no protocol version supplied');
    const protocol = Number(request.protocol);
    if (!Number.isInteger(protocol) || protocol < MIN_PROTOCOL || protocol > MAX_PROTOCOL) {
      return reject(Errors.UnsupportedProtocol, `unsupported protocol version ${request.protocol}`);
    }
    if (!request.sameOrigin && !originAllowed(app, request.origin)) return reject(Errors.OriginNotAllowed, 'origin not allowed');
    // Other workers' connections count too where the cluster tallies them (`--workers`).
    const current = (this.perApp.get(app.id) ?? 0) + (this.cluster.tally?.elsewhere(app.id) ?? 0);
    if (app.maxConnections >= 0 && current >= app.maxConnections) return reject(Errors.OverConnectionQuota, 'over connection quota');
    return { ok: true, open: (link) => this.open(app.id, link) };
  }

  private open(appId: string, link: Link): LinkListener {
    const app = this.apps.byId(appId);
    if (!app) throw new GatewayError(Errors.AppNotFound, 'app removed during handshake');
    const socketId = this.newSocketId();
    const conn = new Connection(socketId, app, link, this.log, Date.now());
    this.connections.set(socketId, conn);
    const count = (this.perApp.get(app.id) ?? 0) + 1;
    this.perApp.set(app.id, count);
    this.cluster.tally?.report(app.id, count);
    conn.send(ServerFrames.connectionEstablished(socketId, this.options.activityTimeoutSeconds));
    this.observer.connectionOpened?.({ appId: app.id, socketId, transport: link.kind });
    if (this.log.isLevelEnabled('debug')) conn.log.debug({ remoteAddress: link.remoteAddress }, 'connection opened');
    return {
      message: (text) => this.onMessage(conn, text),
      closed: (code) => this.onClosed(conn, code),
    };
  }

  private newSocketId(): string {
    for (;;) {
      const id = `${randomInt(1, 2 ** 31)}.${randomInt(1, 2 ** 31)}`;
      if (!this.connections.has(id)) return id;
    }
  }

  private onMessage(conn: Connection, text: string): void {
    conn.lastSeen = Date.now();
    conn.pingSentAt = 0;
    this.observer.messageReceived?.({ appId: conn.app.id, socketId: conn.socketId, bytes: Buffer.byteLength(text) });
    let frame: ClientFrame;
    try {
      frame = decodeClientFrame(text, conn.app.maxEventBytes + this.options.frameOverheadBytes);
    } catch (error) {
      if (isGatewayError(error)) this.limiter.write(conn.log, 'info', `bad frame:${error.kind.id}`, { code: error.kind.id, reason: error.message }, 'bad frame');
      this.reportError(conn, error);
      return;
    }
    this.dispatch(conn, frame).catch((error: unknown) => {
      if (isGatewayError(error)) {
        const msg = frame.type === 'signin' ? 'signin failed' : 'client request refused';
        this.limiter.write(conn.log, 'info', `${msg}:${error.kind.id}`, { code: error.kind.id, reason: error.message, frame: frame.type }, msg);
      }
      this.reportError(conn, error);
    });
  }

  private async dispatch(conn: Connection, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'ping':
        conn.send(ServerFrames.pong());
        return;
      case 'pong':
        return;
      case 'subscribe':
        return this.subscriptions.subscribe(conn, frame);
      case 'unsubscribe':
        return this.subscriptions.unsubscribe(conn, frame.channel);
      case 'signin':
        return this.users.signin(conn, frame.auth, frame.userData);
      case 'client-event':
        return this.clientEvent(conn, frame.channel, frame.event, frame.data);
    }
  }

  private async clientEvent(conn: Connection, channel: string, event: string, data: unknown): Promise<void> {
    const app = conn.app;
    if (!app.clientEvents) throw new GatewayError(Errors.ClientEventRejected, 'client events are not enabled for this app');
    const kind = channelTraits(channel).kind;
    if (kind !== 'private' && kind !== 'presence') {
      throw new GatewayError(Errors.ClientEventRejected, 'client events are only allowed on private and presence channels');
    }
    const membership = conn.channels.get(channel);
    if (membership === undefined) throw new GatewayError(Errors.ClientEventRejected, `not subscribed to ${channel}`);
    if (Buffer.byteLength(JSON.stringify(data) ?? '') > app.maxEventBytes) {
      throw new GatewayError(Errors.ClientEventRejected, `client event data larger than ${app.maxEventBytes} bytes`);
    }
    const now = Date.now();
    if (now - conn.clientEventWindow >= 1000) {
      conn.clientEventWindow = now;
      conn.clientEventCount = 0;
    }
    if (++conn.clientEventCount > app.clientEventRate) {
      throw new GatewayError(Errors.ClientEventRateLimited, `more than ${app.clientEventRate} client events per second`);
    }
    const userId = membership?.userId;
    await this.cluster.broker.publish({ appId: app.id, channel, event, data, exceptSocketId: conn.socketId, userId });
    this.observer.clientEvent?.({ appId: app.id, channel, event, data, socketId: conn.socketId, userId });
  }

  private reportError(conn: Connection, error: unknown): void {
    if (isGatewayError(error)) {
      conn.send(ServerFrames.error(error.message, error.kind.wsCode ?? null));
      this.observer.error?.({ appId: conn.app.id, socketId: conn.socketId, code: error.kind.id, message: error.message });
      if (error.kind.closes && error.kind.wsCode !== undefined) conn.link.close(error.kind.wsCode, error.message);
      return;
    }
    conn.log.error({ err: error }, 'frame handler failed');
    conn.send(ServerFrames.error('internal error', null));
  }

  private onClosed(conn: Connection, code: number): void {
    if (!this.connections.delete(conn.socketId)) return;
    conn.closing = true;
    const appId = conn.app.id;
    const left = (this.perApp.get(appId) ?? 1) - 1;
    if (left > 0) this.perApp.set(appId, left);
    else this.perApp.delete(appId);
    this.cluster.tally?.report(appId, left);
    const userId = conn.user?.id;
    const cleanup: Promise<void> = Promise.all([this.subscriptions.unsubscribeAll(conn), this.users.signedOut(conn)])
      .then(
        () => undefined,
        (error: unknown) => this.log.warn({ err: error, socketId: conn.socketId }, 'cleanup after close failed'),
      )
      .finally(() => {
        this.cleanups.delete(cleanup);
        if (this.log.isLevelEnabled('debug')) conn.log.debug({ remoteAddress: conn.link.remoteAddress, code, durationMs: Date.now() - conn.openedAt, userId }, 'connection closed');
        this.observer.connectionClosed?.({ appId, socketId: conn.socketId, transport: conn.link.kind, userId, code, durationMs: Date.now() - conn.openedAt });
        if (this.connections.size === 0 && this.cleanups.size === 0) for (const wake of this.settleWaiters.splice(0)) wake();
      });
    this.cleanups.add(cleanup);
  }

  /**
   * Resolves once no connection is open and every closed one is cleaned up (presence leaves,
   * counts, member_removed): a drain waits for it so departures reach the cluster and observers.
   */
  settled(): Promise<void> {
    if (this.connections.size === 0 && this.cleanups.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  /** Closes every connection of a user on this node (terminate_connections). */
  terminateUser(appId: string, userId: string): void {
    for (const conn of this.users.connectionsOf(appId, userId)) closeWith(conn, Errors.Terminated, 'connection terminated by the application');
  }

  /** Pings silent connections, closes those that missed the pong, and enforces sign-in deadlines. */
  private sweep(now: number): void {
    const idleMs = this.options.activityTimeoutSeconds * 1000;
    const pongMs = this.options.pongTimeoutSeconds * 1000;
    for (const conn of this.connections.values()) {
      if (conn.pingSentAt > 0) {
        if (now - conn.pingSentAt >= pongMs) closeWith(conn, Errors.PongTimeout, 'pong not received');
      } else if (now - conn.lastSeen >= idleMs) {
        conn.pingSentAt = now;
        conn.send(ServerFrames.ping());
      }
      const app = conn.app;
      if (app.requireSignin && !conn.user && now - conn.openedAt >= app.signinGraceSeconds * 1000) closeWith(conn, Errors.SigninRequired, 'sign-in required');
    }
  }

  connectionCount(appId?: string): number {
    return appId === undefined ? this.connections.size : (this.perApp.get(appId) ?? 0);
  }

  allConnections(): IterableIterator<Connection> {
    return this.connections.values();
  }

  /** Closes every connection with 4200 (reconnect now) and keeps admitting new ones. */
  reconnectAll(): void {
    for (const conn of [...this.connections.values()]) closeWith(conn, Errors.Reconnect, 'reconnect please');
  }

  /** Stops admitting and closes every connection with 4200 so clients reconnect elsewhere. */
  drain(): void {
    this.draining = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const conn of [...this.connections.values()]) closeWith(conn, Errors.ShuttingDown, 'server is shutting down');
  }

  get isDraining(): boolean {
    return this.draining;
  }
}

/** `pusher:error` with the kind's code, then the close with the same code. */
function closeWith(conn: Connection, kind: ClosingKind, message: string): void {
  conn.send(ServerFrames.error(message, kind.wsCode));
  conn.link.close(kind.wsCode, message);
}
