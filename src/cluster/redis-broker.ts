import type { Logger } from 'pino';
import { Errors, GatewayError } from '../protocol/errors.js';
import type { Broker, BrokerHandler, ChannelMessage, ControlMessage } from './broker.js';
import type { RedisConnections } from './redis-connections.js';
import type { RedisKeys } from './redis-keys.js';

/** A channel message as it travels through Redis (short keys: it is on the hot path). */
interface WireMessage {
  a: string;
  c: string;
  e: string;
  d: unknown;
  x?: string;
  u?: string;
  p?: string;
}

/** Publishes in flight to Redis before `publish` starts waiting for Redis's answer. */
const MAX_UNACKNOWLEDGED = 1000;

/** Topics subscribed per SUBSCRIBE command when restoring interest after a reconnect. */
const RESUBSCRIBE_CHUNK = 1000;

/**
 * Fan-out over Redis pub/sub, one topic per (app, channel). A node SUBSCRIBEs to a channel's topic
 * only while it has local subscribers, so nodes pay nothing for channels nobody on them watches.
 *
 * Local delivery never waits for Redis: a publish is handed to this node's handler at once and
 * then PUBLISHed for the other nodes; each payload starts with the sender's node id so the sender
 * drops its own echo without parsing it. `publish` resolves once the PUBLISH is written (it rejects
 * at once while Redis is unreachable), waiting for Redis's answer only when many are outstanding. Interest is kept in memory and re-subscribed whenever the
 * subscriber connection comes back.
 */
export class RedisBroker implements Broker {
  private handler: BrokerHandler | undefined;
  /** topic → local subscription attempts, and when Redis confirmed the SUBSCRIBE. */
  private readonly interest = new Map<string, { count: number; listening: Promise<void> }>();
  private readonly selfTag: string;
  private unacknowledged = 0;

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
    private readonly log: Logger,
    /** Runs before the broker reports itself started: the cluster waits for Redis and registers the node. */
    private readonly beforeStart: () => Promise<void>,
  ) {
    this.selfTag = `${nodeId}\n`;
    redis.subscriber.on('message', (topic: string, payload: string) => this.received(topic, payload));
    redis.subscriber.on('ready', () => this.resubscribe());
  }

  async start(handler: BrokerHandler): Promise<void> {
    this.handler = handler;
    await this.beforeStart();
    await this.resubscribe();
  }

  async publish(message: ChannelMessage): Promise<void> {
    this.handler?.deliver(message);
    const wire: WireMessage = { a: message.appId, c: message.channel, e: message.event, d: message.data };
    if (message.exceptSocketId !== undefined) wire.x = message.exceptSocketId;
    if (message.userId !== undefined) wire.u = message.userId;
    if (message.position !== undefined) wire.p = message.position;
    const payload = this.selfTag + JSON.stringify(wire);
    if (this.redis.command.status !== 'ready') throw new GatewayError(Errors.Unavailable, 'cluster state is unavailable; try again');
    const sent = this.redis.call((r) => r.publish(this.keys.topic(message.appId, message.channel), payload));
    // Local subscribers already have it: the publisher need not wait a Redis round trip for the
    // others, except when too many publishes are unacknowledged (a slow Redis slows publishers down
    // rather than growing a queue).
    if (this.unacknowledged >= MAX_UNACKNOWLEDGED) return sent.then(() => undefined);
    this.unacknowledged++;
    sent.then(
      () => this.unacknowledged--,
      (error: unknown) => {
        this.unacknowledged--;
        this.log.debug({ err: error, channel: message.channel }, 'publish to Redis failed after it was sent');
      },
    );
  }

  async control(message: ControlMessage): Promise<void> {
    this.handler?.control(message);
    const payload = this.selfTag + JSON.stringify(message);
    await this.redis.call((r) => r.publish(this.keys.control, payload));
  }

  /** Hands a control message to this node only (the cluster's dead-node claim). */
  notifyLocal(message: ControlMessage): void {
    this.handler?.control(message);
  }

  addInterest(appId: string, channel: string): Promise<void> {
    const topic = this.keys.topic(appId, channel);
    const held = this.interest.get(topic);
    if (held) {
      held.count++;
      return held.listening;
    }
    // While Redis is away the topic is only recorded; resubscribe() restores it on reconnect.
    const listening =
      this.redis.subscriber.status === 'ready'
        ? this.redis.subscriber.subscribe(topic).then(
            () => undefined,
            (error: unknown) => this.log.debug({ err: error, topic }, 'subscribe failed; retried on reconnect'),
          )
        : Promise.resolve();
    this.interest.set(topic, { count: 1, listening });
    return listening;
  }

  removeInterest(appId: string, channel: string): void {
    const topic = this.keys.topic(appId, channel);
    const held = this.interest.get(topic);
    if (!held || --held.count > 0) return;
    this.interest.delete(topic);
    if (this.redis.subscriber.status === 'ready') {
      this.redis.subscriber.unsubscribe(topic).catch((error: unknown) => this.log.debug({ err: error, topic }, 'unsubscribe failed'));
    }
  }

  private async resubscribe(): Promise<void> {
    if (this.redis.subscriber.status !== 'ready') return;
    const topics = [this.keys.control, ...this.interest.keys()];
    try {
      for (let i = 0; i < topics.length; i += RESUBSCRIBE_CHUNK) await this.redis.subscriber.subscribe(...topics.slice(i, i + RESUBSCRIBE_CHUNK));
    } catch (error) {
      this.log.warn({ err: error }, 'restoring Redis subscriptions failed; retried on reconnect');
    }
  }

  private received(topic: string, payload: string): void {
    const handler = this.handler;
    if (!handler || payload.startsWith(this.selfTag)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.slice(payload.indexOf('\n') + 1));
    } catch {
      this.log.warn({ topic }, 'dropped an unreadable message from Redis');
      return;
    }
    if (topic === this.keys.control) {
      if (isControl(parsed)) handler.control(parsed);
      else this.log.warn({ topic }, 'dropped an unknown control message from Redis');
      return;
    }
    const wire = parsed as Partial<WireMessage>;
    if (typeof wire.a !== 'string' || typeof wire.c !== 'string' || typeof wire.e !== 'string') {
      this.log.warn({ topic }, 'dropped a malformed channel message from Redis');
      return;
    }
    handler.deliver({ appId: wire.a, channel: wire.c, event: wire.e, data: wire.d, exceptSocketId: wire.x, userId: wire.u, position: wire.p });
  }

  async close(): Promise<void> {
    this.handler = undefined;
    this.interest.clear();
  }
}

function isControl(value: unknown): value is ControlMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  switch (m['type']) {
    case 'terminate-user':
      return typeof m['appId'] === 'string' && typeof m['userId'] === 'string';
    case 'user-status':
      return typeof m['appId'] === 'string' && typeof m['userId'] === 'string' && typeof m['online'] === 'boolean';
    default:
      // node-gone is never sent over Redis: only the survivor that claimed the node handles it.
      return false;
  }
}
