import { Errors, fail } from '../protocol/errors.js';
import { ServerFrames } from '../protocol/server-frame.js';
import { signinSignedString, verifyClientAuth } from '../protocol/signature.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Connection, SignedInUser } from './connection.js';
import type { CoreObserver } from './observer.js';

/** Reserved presence-store channel that counts each signed-in user's connections per app. */
const ONLINE_CHANNEL = '#online-users';

export interface UserOptions {
  readonly maxUserIdLength: number;
  readonly maxWatchlist: number;
}

/**
 * Signed-in users: sign-in verification, the local index of each user's connections (for
 * terminate_connections), online/offline tracking across the cluster and watchlist events.
 */
export class Users {
  /** app → user → this node's connections of that user. */
  private readonly connections = new Map<string, Map<string, Set<Connection>>>();
  /** app → watched user → this node's connections watching them. */
  private readonly watchers = new Map<string, Map<string, Set<Connection>>>();

  constructor(
    private readonly cluster: Cluster,
    private readonly observer: CoreObserver,
    private readonly options: UserOptions,
  ) {}

  /**
   * Verifies a `pusher:signin`; on success the connection is signed in and told so. A refusal
   * throws `GatewayError`: `SigninFailed` (closes, 4009) or `WatchlistOverLimit` (4302, stays open).
   */
  async signin(conn: Connection, auth: string, userData: string): Promise<void> {
    const app = conn.app;
    if (conn.user) fail(Errors.SigninFailed, 'connection is already signed in');
    if (!verifyClientAuth(auth, app.key, app.secret, signinSignedString(conn.socketId, userData))) fail(Errors.SigninFailed, 'invalid sign-in signature');
    let parsed: unknown;
    try {
      parsed = JSON.parse(userData);
    } catch {
      fail(Errors.SigninFailed, 'user_data is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null) fail(Errors.SigninFailed, 'user_data must be a JSON object');
    const id = (parsed as Record<string, unknown>)['id'];
    if (typeof id !== 'string' || id.length === 0) fail(Errors.SigninFailed, 'user_data needs a non-empty string id');
    if (id.length > this.options.maxUserIdLength) fail(Errors.SigninFailed, `user id longer than ${this.options.maxUserIdLength} characters`);
    const watchlistRaw = (parsed as Record<string, unknown>)['watchlist'];
    let watchlist: string[] = [];
    if (watchlistRaw !== undefined) {
      if (!Array.isArray(watchlistRaw) || !watchlistRaw.every((w) => typeof w === 'string')) fail(Errors.SigninFailed, 'watchlist must be an array of user ids');
      if (watchlistRaw.length > this.options.maxWatchlist) fail(Errors.WatchlistOverLimit, `watchlist longer than ${this.options.maxWatchlist}`);
      watchlist = [...new Set(watchlistRaw as string[])];
    }
    const user: SignedInUser = { id, userData, watchlist };
    conn.user = user;
    index(this.connections, app.id, id).add(conn);
    for (const watched of watchlist) index(this.watchers, app.id, watched).add(conn);
    conn.send(ServerFrames.signinSuccess(userData));

    const first = await this.cluster.presence.join(app.id, ONLINE_CHANNEL, conn.socketId, { userId: id, userInfo: undefined });
    if (first) {
      this.observer.userOnline?.({ appId: app.id, userId: id });
      await this.cluster.broker.control({ type: 'user-status', appId: app.id, userId: id, online: true });
    }
    if (watchlist.length > 0 && !conn.closing) {
      const online = await this.cluster.presence.present(app.id, ONLINE_CHANNEL, watchlist);
      const onlineIds = watchlist.filter((w) => online.has(w));
      const offlineIds = watchlist.filter((w) => !online.has(w));
      const events: Array<{ name: 'online' | 'offline'; user_ids: string[] }> = [];
      if (onlineIds.length > 0) events.push({ name: 'online', user_ids: onlineIds });
      if (offlineIds.length > 0) events.push({ name: 'offline', user_ids: offlineIds });
      conn.send(ServerFrames.watchlistEvents(events));
    }
  }

  /** Forgets a closed connection's user; the user goes offline after their last connection. */
  async signedOut(conn: Connection): Promise<void> {
    const user = conn.user;
    if (!user) return;
    const appId = conn.app.id;
    unindex(this.connections, appId, user.id, conn);
    for (const watched of user.watchlist) unindex(this.watchers, appId, watched, conn);
    if (await this.cluster.presence.leave(appId, ONLINE_CHANNEL, conn.socketId, user.id)) {
      this.observer.userOffline?.({ appId, userId: user.id });
      await this.cluster.broker.control({ type: 'user-status', appId, userId: user.id, online: false });
    }
  }

  /** This node's connections of a user. */
  connectionsOf(appId: string, userId: string): readonly Connection[] {
    return [...(this.connections.get(appId)?.get(userId) ?? [])];
  }

  /** A user came online or went offline somewhere in the cluster: tell this node's watchers. */
  statusChanged(appId: string, userId: string, online: boolean): void {
    const watching = this.watchers.get(appId)?.get(userId);
    if (!watching) return;
    const frame = ServerFrames.watchlistEvents([{ name: online ? 'online' : 'offline', user_ids: [userId] }]);
    for (const conn of watching) conn.send(frame);
  }

  /**
   * A user whose connections vanished with a dead node. Called on the one survivor that claimed
   * the node, so it tells every node's watchers and reports it once.
   */
  async userGone(appId: string, userId: string): Promise<void> {
    this.observer.userOffline?.({ appId, userId });
    await this.cluster.broker.control({ type: 'user-status', appId, userId, online: false });
  }

  static readonly onlineChannel = ONLINE_CHANNEL;
}

function index(map: Map<string, Map<string, Set<Connection>>>, appId: string, key: string): Set<Connection> {
  let byKey = map.get(appId);
  if (!byKey) map.set(appId, (byKey = new Map()));
  let set = byKey.get(key);
  if (!set) byKey.set(key, (set = new Set()));
  return set;
}

function unindex(map: Map<string, Map<string, Set<Connection>>>, appId: string, key: string, conn: Connection): void {
  const byKey = map.get(appId);
  const set = byKey?.get(key);
  if (!byKey || !set) return;
  set.delete(conn);
  if (set.size === 0) byKey.delete(key);
  if (byKey.size === 0) map.delete(appId);
}
