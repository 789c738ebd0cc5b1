import type { App } from '../apps/app.js';
import { channelNameProblem, channelTraits, userIdOfUserChannel } from '../protocol/channel-name.js';
import { ServerFrames } from '../protocol/server-frame.js';
import { Errors, isGatewayError, type ErrorKind } from '../protocol/errors.js';
import { presenceChannelSignedString, privateChannelSignedString, verifyClientAuth } from '../protocol/signature.js';
import type { Cluster } from '../cluster/cluster.js';
import type { PresenceMember } from '../cluster/presence-store.js';
import { formatPosition, parsePosition, SINCE_LATEST, type HistoryLimits } from '../cluster/history-store.js';
import { historyLimitsFor } from './history-rules.js';
import type { Connection, PresenceMembership } from './connection.js';
import type { Hub } from './hub.js';
import { LogLimiter } from './log-limiter.js';
import type { CoreObserver } from './observer.js';

export interface SubscribeRequest {
  readonly channel: string;
  readonly auth?: string | undefined;
  readonly channelData?: string | undefined;
  readonly since?: string | undefined;
}

export interface SubscriptionOptions {
  readonly maxChannelsPerConnection: number;
  /** Longest user id accepted in presence channel_data and sign-in (Pusher: 128). */
  readonly maxUserIdLength: number;
  /** Shared rate limit on refusal log lines; one of its own when absent. */
  readonly logLimiter?: LogLimiter;
}

/** How far a subscribe got, so a failure can be undone or refused correctly. */
interface Attempt {
  established: boolean;
  presenceJoined: boolean;
}

/**
 * Why a subscription was refused; becomes `pusher:subscription_error` with the kind's
 * `subscriptionType` and `httpStatus` (a kind without them, thrown from below, is sent by its id,
 * with the status of `Internal` when it has none).
 */
class Refusal {
  constructor(
    readonly kind: ErrorKind,
    readonly error: string,
  ) {}

  get type(): string {
    return this.kind.subscriptionType ?? this.kind.id;
  }

  get status(): number {
    return this.kind.httpStatus ?? Errors.Internal.httpStatus;
  }
}

/**
 * Subscriptions for every channel kind: authorization (private, encrypted, presence, user
 * channels), presence membership, cache-channel replay, occupied/vacated and subscription counts.
 *
 * Guarantee: a subscription that is refused leaves no trace: the connection receives nothing from
 * that channel and no cluster state changes.
 */
export class Subscriptions {
  private readonly countTimers = new Map<string, NodeJS.Timeout>();
  private readonly limiter: LogLimiter;

  constructor(
    private readonly hub: Hub,
    private readonly cluster: Cluster,
    private readonly observer: CoreObserver,
    private readonly options: SubscriptionOptions,
  ) {
    this.limiter = options.logLimiter ?? new LogLimiter();
  }

  async subscribe(conn: Connection, request: SubscribeRequest): Promise<void> {
    const { channel } = request;
    const problem = channelNameProblem(channel);
    if (problem) return this.refuse(conn, channel, new Refusal(Errors.InvalidChannel, problem));
    if (conn.pendingChannels?.has(channel)) return;
    if (conn.channels.has(channel)) {
      // Idempotent: confirm again without touching shared state.
      const membership = conn.channels.get(channel);
      conn.send(ServerFrames.subscriptionSucceeded(channel, membership ? await this.presenceData(conn.app.id, channel) : {}));
      return;
    }
    if (conn.channels.size + (conn.pendingChannels?.size ?? 0) >= this.options.maxChannelsPerConnection) {
      return this.refuse(conn, channel, new Refusal(Errors.TooManySubscriptions, `at most ${this.options.maxChannelsPerConnection} channels per connection`));
    }
    const member = this.authorize(conn, request);
    if (member instanceof Refusal) return this.refuse(conn, channel, member);

    (conn.pendingChannels ??= new Set()).add(channel);
    try {
      await this.join(conn, channel, member, request.since);
    } finally {
      conn.pendingChannels?.delete(channel);
      if (conn.pendingChannels?.size === 0) conn.pendingChannels = undefined;
    }
  }

  private async join(conn: Connection, channel: string, member: PresenceMember | null, since: string | undefined): Promise<void> {
    const app = conn.app;
    // Listen before reading any snapshot (presence members, the cache): on several nodes, what is
    // published between the read and the subscription must still reach this connection. Its frames
    // are held meanwhile and released after subscription_succeeded, so they arrive once, in order.
    await this.cluster.broker.addInterest(app.id, channel);
    const snapshot = member !== null || channelTraits(channel).cache;
    if (snapshot) {
      this.hub.add(app.id, channel, conn);
      this.hub.hold(app.id, channel, conn);
    }
    const attempt = { established: false, presenceJoined: false };
    try {
      await this.establish(conn, channel, member, since, attempt);
    } catch (error) {
      await this.failed(conn, channel, member, attempt, error);
    } finally {
      if (!attempt.established) {
        if (snapshot) this.hub.remove(app.id, channel, conn);
        this.cluster.broker.removeInterest(app.id, channel);
      } else if (snapshot) {
        this.hub.release(app.id, channel, conn);
      }
    }
  }

  /**
   * A subscribe that threw (typically the shared state being unreachable). Before the connection
   * holds the channel, it is refused with `pusher:subscription_error` so the client is not left
   * pending, and a presence join already made is undone. After, the subscription stands: what did
   * not reach the shared state is rebuilt from this node when the cluster recovers.
   */
  private async failed(conn: Connection, channel: string, member: PresenceMember | null, attempt: Attempt, error: unknown): Promise<void> {
    if (attempt.established) {
      conn.log.warn({ err: error, channel }, 'subscription kept; shared state not updated');
      return;
    }
    if (member && attempt.presenceJoined) {
      await this.cluster.presence.leave(conn.app.id, channel, conn.socketId, member.userId).catch((e: unknown) => conn.log.warn({ err: e, channel }, 'presence undo failed'));
    }
    if (isGatewayError(error)) {
      this.refuse(conn, channel, new Refusal(error.kind, error.message));
    } else {
      conn.log.error({ err: error, channel }, 'subscribe failed');
      this.refuse(conn, channel, new Refusal(Errors.Internal, 'internal error'));
    }
  }

  /** The subscription proper; sets `attempt.established` once the connection holds the channel. */
  private async establish(conn: Connection, channel: string, member: PresenceMember | null, since: string | undefined, attempt: Attempt): Promise<void> {
    const app = conn.app;
    const traits = channelTraits(channel);
    let presenceData: unknown = {};
    let firstForUser = false;
    if (member) {
      const members = await this.cluster.presence.members(app.id, channel);
      if (!members.has(member.userId) && members.size >= app.maxPresenceMembers) {
        return this.refuse(conn, channel, new Refusal(Errors.PresenceFull, `presence channel is full (${app.maxPresenceMembers} members)`));
      }
      firstForUser = await this.cluster.presence.join(app.id, channel, conn.socketId, member);
      attempt.presenceJoined = true;
      members.set(member.userId, member.userInfo);
      presenceData = presencePayload(members);
    }
    const cached = traits.cache ? await this.cluster.cache.get(app.id, channel) : undefined;
    if (conn.closing) {
      if (member) await this.leavePresence(app, channel, conn.socketId, member.userId);
      return;
    }

    conn.channels.set(channel, member as PresenceMembership | null);
    attempt.established = true;
    conn.pendingChannels?.delete(channel); // now counted in `channels`
    this.hub.add(app.id, channel, conn);
    const limits = since === undefined ? undefined : historyLimitsFor(app, channel);
    if (limits) this.hub.hold(app.id, channel, conn);
    conn.send(ServerFrames.subscriptionSucceeded(channel, presenceData));
    if (traits.cache) {
      if (cached) conn.send(ServerFrames.channelEvent(channel, cached.event, cached.data));
      else {
        conn.send(ServerFrames.cacheMiss(channel));
        this.observer.cacheMiss?.({ appId: app.id, channel });
      }
    }
    this.observer.subscribed?.({ appId: app.id, channel, socketId: conn.socketId });
    if (since !== undefined) {
      if (limits) await this.resume(conn, channel, since, limits);
      // `latest` only asks where history stands; a channel without history has nothing to say.
      else if (since !== SINCE_LATEST) conn.send(ServerFrames.resume(channel, false, undefined, 'channel has no history'));
    }
    // Live frames held for the snapshot may flow now, without waiting on the updates below.
    this.hub.release(app.id, channel, conn);

    if (member && firstForUser) {
      await this.cluster.broker.publish({
        appId: app.id,
        channel,
        event: 'pusher_internal:member_added',
        data: JSON.stringify(member.userInfo === undefined ? { user_id: member.userId } : { user_id: member.userId, user_info: member.userInfo }),
        exceptSocketId: conn.socketId,
      });
      this.observer.memberAdded?.({ appId: app.id, channel, userId: member.userId });
    }
    const count = await this.cluster.channels.adjust(app.id, channel, +1);
    if (count === 1) this.observer.channelOccupied?.({ appId: app.id, channel });
    this.countChanged(app, channel);
  }

  /**
   * Replays what the connection missed after `since`, then `pusher_internal:resume`, then the live
   * frames held meanwhile (minus those the replay already carried). Never a partial replay: when the
   * gap cannot be covered nothing is replayed and `recovered` is false.
   */
  private async resume(conn: Connection, channel: string, since: string, limits: HistoryLimits): Promise<void> {
    const app = conn.app;
    let releaseAfter: number | undefined;
    try {
      if (since === SINCE_LATEST) {
        // A first subscribe: nothing to replay; the tip is where the client's position starts.
        // Held frames all go out after it (they may sit at or below the tip: the client keeps the highest).
        const tip = await this.cluster.history.tip(app.id, channel, limits);
        conn.send(ServerFrames.resume(channel, true, formatPosition(tip)));
        return;
      }
      const position = parsePosition(since);
      // Not recovered: the client still gets a position to resume from next time (the tip, in a
      // fresh epoch when the channel has none), so a later gap is not lost silently.
      if (!position) {
        const tip = await this.cluster.history.tip(app.id, channel, limits);
        conn.send(ServerFrames.resume(channel, false, formatPosition(tip), 'malformed since: expected "<epoch>:<offset>"'));
        return;
      }
      const read = await this.cluster.history.since(app.id, channel, position, limits.maxEvents);
      const latest = formatPosition(read.epoch ? { epoch: read.epoch, offset: read.latest } : await this.cluster.history.tip(app.id, channel, limits));
      if (!read.recovered) {
        const why = { epoch: 'history epoch changed (history was lost or the position is foreign)', trimmed: 'the gap is no longer in history', future: 'position is ahead of the channel' }[read.reason];
        conn.send(ServerFrames.resume(channel, false, latest, why));
        return;
      }
      let last = position.offset;
      for (const event of read.events) {
        conn.send(ServerFrames.channelEvent(channel, event.event, event.data, undefined, formatPosition({ epoch: read.epoch, offset: event.offset })));
        last = event.offset;
      }
      releaseAfter = last;
      conn.send(ServerFrames.resume(channel, true, formatPosition({ epoch: read.epoch, offset: last })));
    } catch (error) {
      conn.log.warn({ err: error, channel }, 'history read failed');
      conn.send(ServerFrames.resume(channel, false, undefined, 'history unavailable'));
    } finally {
      this.hub.release(app.id, channel, conn, releaseAfter);
    }
  }

  /** Removes one subscription; a no-op when the connection is not subscribed. */
  async unsubscribe(conn: Connection, channel: string): Promise<void> {
    if (!conn.channels.has(channel)) return;
    const membership = conn.channels.get(channel);
    conn.channels.delete(channel);
    const app = conn.app;
    this.hub.remove(app.id, channel, conn);
    this.cluster.broker.removeInterest(app.id, channel);
    this.observer.unsubscribed?.({ appId: app.id, channel, socketId: conn.socketId });
    const work: Promise<unknown>[] = [];
    if (membership) work.push(this.leavePresence(app, channel, conn.socketId, membership.userId));
    work.push(
      this.cluster.channels.adjust(app.id, channel, -1).then((count) => {
        if (count === 0) this.observer.channelVacated?.({ appId: app.id, channel });
        this.countChanged(app, channel);
      }),
    );
    await Promise.all(work);
  }

  async unsubscribeAll(conn: Connection): Promise<void> {
    await Promise.all([...conn.channels.keys()].map((channel) => this.unsubscribe(conn, channel)));
  }

  /**
   * A member whose connections vanished with a dead node. Called on the one survivor that claimed
   * the node, so it announces the departure cluster-wide and reports it once.
   */
  async memberGone(appId: string, channel: string, userId: string): Promise<void> {
    await this.cluster.broker.publish({ appId, channel, event: 'pusher_internal:member_removed', data: JSON.stringify({ user_id: userId }) });
    this.observer.memberRemoved?.({ appId, channel, userId });
  }

  private async leavePresence(app: App, channel: string, socketId: string, userId: string): Promise<void> {
    if (!(await this.cluster.presence.leave(app.id, channel, socketId, userId))) return;
    await this.cluster.broker.publish({ appId: app.id, channel, event: 'pusher_internal:member_removed', data: JSON.stringify({ user_id: userId }) });
    this.observer.memberRemoved?.({ appId: app.id, channel, userId });
  }

  private async presenceData(appId: string, channel: string): Promise<unknown> {
    return presencePayload(await this.cluster.presence.members(appId, channel));
  }

  /**
   * Returns the presence member for presence channels, null for other kinds that may subscribe,
   * or the reason for refusing.
   */
  private authorize(conn: Connection, request: SubscribeRequest): PresenceMember | null | Refusal {
    const { channel } = request;
    const app = conn.app;
    const traits = channelTraits(channel);
    switch (traits.kind) {
      case 'public':
        return null;
      case 'user': {
        const userId = userIdOfUserChannel(channel);
        if (!conn.user || conn.user.id !== userId) return new Refusal(Errors.UserChannelForbidden, 'only the signed-in user may subscribe to their user channel');
        return null;
      }
      case 'private':
      case 'encrypted':
        return verifyClientAuth(request.auth, app.key, app.secret, privateChannelSignedString(conn.socketId, channel))
          ? null
          : new Refusal(Errors.SubscriptionAuthFailed, 'invalid signature');
      case 'presence':
        return this.authorizePresence(conn, request);
    }
  }

  private authorizePresence(conn: Connection, request: SubscribeRequest): PresenceMember | Refusal {
    const app = conn.app;
    const { channel, channelData } = request;
    if (channelData === undefined) {
      // A signed-in connection may join as itself; the auth then signs the private-channel string.
      if (!conn.user) return new Refusal(Errors.PresenceNeedsSignin, 'presence subscription without channel_data requires sign-in');
      if (!verifyClientAuth(request.auth, app.key, app.secret, privateChannelSignedString(conn.socketId, channel))) {
        return new Refusal(Errors.SubscriptionAuthFailed, 'invalid signature');
      }
      const userInfo = userInfoOf(conn.user.userData);
      return userInfoTooLarge(app, userInfo) ?? { userId: conn.user.id, userInfo };
    }
    if (!verifyClientAuth(request.auth, app.key, app.secret, presenceChannelSignedString(conn.socketId, channel, channelData))) {
      return new Refusal(Errors.SubscriptionAuthFailed, 'invalid signature');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(channelData);
    } catch {
      return new Refusal(Errors.InvalidChannelData, 'channel_data is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null) return new Refusal(Errors.InvalidChannelData, 'channel_data must be a JSON object');
    const rawId = (parsed as Record<string, unknown>)['user_id'];
    const userId = typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : rawId;
    if (typeof userId !== 'string' || userId.length === 0) return new Refusal(Errors.InvalidChannelData, 'channel_data needs a user_id');
    if (userId.length > this.options.maxUserIdLength) return new Refusal(Errors.InvalidChannelData, `user_id longer than ${this.options.maxUserIdLength} characters`);
    const userInfo = (parsed as Record<string, unknown>)['user_info'];
    return userInfoTooLarge(app, userInfo) ?? { userId, userInfo };
  }

  private refuse(conn: Connection, channel: string, refusal: Refusal): void {
    // A bad signature is the line an operator looks for when a site's auth endpoint signs wrongly.
    const msg = refusal.kind === Errors.SubscriptionAuthFailed ? 'channel auth failed' : 'subscription refused';
    this.limiter.write(conn.log, 'info', `${msg}:${refusal.kind.id}`, { channel: channel.slice(0, 200), kind: refusal.kind.id, type: refusal.type, status: refusal.status, reason: refusal.error }, msg);
    conn.send(ServerFrames.subscriptionError(channel, refusal.type, refusal.error, refusal.status));
    this.observer.subscriptionRejected?.({ appId: conn.app.id, channel, socketId: conn.socketId, kind: refusal.kind.id, reason: refusal.error });
  }

  /**
   * Sends `pusher_internal:subscription_count` when the app asks for it, at most every 250 ms per
   * channel, so a crowd joining at once costs one broadcast rather than one per join.
   */
  private countChanged(app: App, channel: string): void {
    if (!app.subscriptionCountEvents || channelTraits(channel).kind === 'presence') return;
    const key = `${app.id}\u0000${channel}`;
    if (this.countTimers.has(key)) return;
    const timer = setTimeout(() => {
      this.countTimers.delete(key);
      void this.cluster.channels
        .count(app.id, channel)
        .then((count) => {
          this.observer.subscriptionCount?.({ appId: app.id, channel, count });
          if (count === 0) return undefined;
          return this.cluster.broker.publish({ appId: app.id, channel, event: 'pusher_internal:subscription_count', data: JSON.stringify({ subscription_count: count }) });
        })
        .catch((error: unknown) => this.observer.error?.({ appId: app.id, code: 'SubscriptionCount', message: error instanceof Error ? error.message : String(error) }));
    }, 250);
    timer.unref();
    this.countTimers.set(key, timer);
  }

  close(): void {
    for (const timer of this.countTimers.values()) clearTimeout(timer);
    this.countTimers.clear();
  }
}

function presencePayload(members: Map<string, unknown>): unknown {
  const hash: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [id, info] of members) hash[id] = info ?? null;
  return { presence: { ids: [...members.keys()], hash, count: members.size } };
}

/** The refusal for a member's `user_info` over the app's bound, whether it came from channel_data or the sign-in. */
function userInfoTooLarge(app: App, userInfo: unknown): Refusal | undefined {
  if (userInfo === undefined || Buffer.byteLength(JSON.stringify(userInfo)) <= app.maxPresenceUserInfoBytes) return undefined;
  return new Refusal(Errors.UserInfoTooLarge, `user_info larger than ${app.maxPresenceUserInfoBytes} bytes`);
}

function userInfoOf(userData: string): unknown {
  try {
    const parsed = JSON.parse(userData) as Record<string, unknown>;
    return parsed['user_info'];
  } catch {
    return undefined;
  }
}
