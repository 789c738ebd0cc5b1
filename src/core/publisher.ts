import type { App } from '../apps/app.js';
import { channelNameProblem, channelTraits } from '../protocol/channel-name.js';
import { MAX_EVENT_NAME_LENGTH } from '../protocol/client-frame.js';
import { Errors, fail } from '../protocol/errors.js';
import type { Cluster } from '../cluster/cluster.js';
import type { CoreObserver } from './observer.js';
import { historyLimitsFor } from './history-rules.js';
import { formatPosition, type HistoryLimits } from '../cluster/history-store.js';

/** One event to publish, as the HTTP API and the queue receive it. */
export interface PublishRequest {
  readonly name: string;
  readonly data: string;
  readonly channels: readonly string[];
  readonly socketId?: string | undefined;
}

const SOCKET_ID = /^\d+\.\d+$/;

/**
 * Limits are worded as Pusher words them, because SDKs and applications match on the text: the PHP SDK
 * (and so Laravel's `BroadcastException`) carries the response body as its message. The event-size
 * sentence is Pusher's own, minus its pointer to Pusher's documentation.
 */
export const limitMessages = {
  eventTooLarge: (maxBytes: number): string => `The data content of this event exceeds the allowed maximum (${maxBytes} bytes).`,
  batchTooLarge: (events: number, maxEvents: number): string => `Batch too large: ${events} events, the maximum is ${maxEvents}.`,
} as const;

/**
 * Checks a publish against the app's limits and the protocol's rules. Throws `GatewayError`
 * (BadRequest, PayloadTooLarge); the HTTP API and the queue consumer share it so they enforce the
 * same limits.
 */
export function validatePublish(app: App, request: { name?: unknown; data?: unknown; channels?: unknown; channel?: unknown; socket_id?: unknown }): PublishRequest {
  const { name, data } = request;
  if (typeof name !== 'string' || name.length === 0) fail(Errors.BadRequest, '"name" must be a non-empty string');
  if (name.length > MAX_EVENT_NAME_LENGTH) fail(Errors.BadRequest, `"name" longer than ${MAX_EVENT_NAME_LENGTH} characters`);
  if (typeof data !== 'string') fail(Errors.BadRequest, '"data" must be a string');
  if (Buffer.byteLength(data) > app.maxEventBytes) fail(Errors.PayloadTooLarge, limitMessages.eventTooLarge(app.maxEventBytes));
  let channels: unknown[];
  if (request.channels !== undefined) {
    if (!Array.isArray(request.channels) || request.channels.length === 0) fail(Errors.BadRequest, '"channels" must be a non-empty array');
    channels = request.channels;
  } else if (request.channel !== undefined) {
    channels = [request.channel];
  } else {
    fail(Errors.BadRequest, '"channels" or "channel" is required');
  }
  if (channels.length > app.maxChannelsPerEvent) fail(Errors.BadRequest, `more than ${app.maxChannelsPerEvent} channels`);
  for (const channel of channels) {
    const problem = channelNameProblem(channel);
    if (problem) fail(Errors.BadRequest, `invalid channel ${JSON.stringify(channel)}: ${problem}`);
  }
  if (channels.length > 1 && channels.some((c) => channelTraits(c as string).kind === 'encrypted')) {
    fail(Errors.BadRequest, 'encrypted channels must be published one at a time');
  }
  const socketId = request.socket_id;
  if (socketId !== undefined && (typeof socketId !== 'string' || !SOCKET_ID.test(socketId))) fail(Errors.BadRequest, '"socket_id" is not a valid socket id');
  return { name, data, channels: channels as string[], socketId: socketId as string | undefined };
}

/** One validated item of a batch, with its raw object for fields beyond the publish (e.g. `info`). */
export interface BatchItem {
  readonly request: PublishRequest;
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * Checks a `batch` array (the body of `POST /batch_events`, or a queue entry's batch): non-empty, at
 * most the app's batch size, each item an object with one `channel` that passes `validatePublish`.
 */
export function validateBatch(app: App, batch: unknown): BatchItem[] {
  if (!Array.isArray(batch) || batch.length === 0) fail(Errors.BadRequest, '"batch" must be a non-empty array');
  if (batch.length > app.maxBatchSize) fail(Errors.BadRequest, limitMessages.batchTooLarge(batch.length, app.maxBatchSize));
  return batch.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) fail(Errors.BadRequest, `batch item ${i} is not an object`);
    const raw = item as Record<string, unknown>;
    if (raw['channels'] !== undefined) fail(Errors.BadRequest, `batch item ${i}: batch items take one "channel"`);
    return { request: validatePublish(app, raw), raw };
  });
}

/** Publishes validated events into the cluster: cache channels remember them, the broker fans them out. */
export class Publisher {
  constructor(
    private readonly cluster: Cluster,
    private readonly observer: CoreObserver,
  ) {}

  async publish(app: App, request: PublishRequest): Promise<void> {
    if (!this.cluster.healthy()) fail(Errors.Unavailable, 'the cluster is unavailable; try again');
    // A plain loop: this runs once per channel of every publish, so no closure or extra promise
    // unless the channel stores something (cache, history) first.
    const handedOn: Promise<void>[] = [];
    for (const channel of request.channels) {
      const limits = historyLimitsFor(app, channel);
      if (limits || channelTraits(channel).cache) handedOn.push(this.publishStored(app, request, channel, limits));
      else handedOn.push(this.cluster.broker.publish({ appId: app.id, channel, event: request.name, data: request.data, exceptSocketId: request.socketId }));
    }
    this.observer.published?.({ appId: app.id, channels: request.channels, event: request.name, bytes: request.data.length, data: request.data });
    await Promise.all(handedOn);
  }

  /** Cache channels remember the event, history channels give it a position, before it fans out. */
  private async publishStored(app: App, request: PublishRequest, channel: string, limits: HistoryLimits | undefined): Promise<void> {
    if (channelTraits(channel).cache) {
      await this.cluster.cache.set(app.id, channel, { event: request.name, data: request.data }, app.cacheTtlSeconds);
    }
    const position = limits ? formatPosition(await this.cluster.history.append(app.id, channel, { event: request.name, data: request.data }, limits)) : undefined;
    await this.cluster.broker.publish({ appId: app.id, channel, event: request.name, data: request.data, exceptSocketId: request.socketId, position });
  }

}
