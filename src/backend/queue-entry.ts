import type { App } from '../apps/app.js';
import type { AppStore } from '../apps/app-store.js';
import { validateBatch, validatePublish, type PublishRequest } from '../core/publisher.js';
import { Errors, fail } from '../protocol/errors.js';
import { parseJsonObject } from '../edge/http-io.js';

/** A stream entry that passed every check: what to publish, for which app. */
export interface QueueEntry {
  readonly app: App;
  readonly requests: readonly PublishRequest[];
  /** The producer's idempotency key, when it gave one. */
  readonly id?: string | undefined;
}

/** Longest idempotency `id` accepted. */
export const MAX_IDEMPOTENCY_ID_LENGTH = 200;

/** Largest `body` the queue reads for an app: the HTTP API's limit, a full batch plus envelope. */
export function maxBodyBytes(app: App): number {
  return app.maxEventBytes * Math.max(app.maxBatchSize, 1) + 64 * 1024;
}

/**
 * Reads one stream entry — fields `app`, `body` (the JSON of `POST /events`, or `{batch:[…]}` as for
 * `POST /batch_events`) and optional `id` — under the same limits as the HTTP API. Throws
 * `GatewayError` whose message says what is wrong; the consumer dead-letters the entry with it.
 */
export function parseQueueEntry(fields: readonly string[], apps: AppStore): QueueEntry {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as string;
    if (!values.has(name)) values.set(name, fields[i + 1] as string);
  }
  const appId = values.get('app');
  if (appId === undefined || appId === '') fail(Errors.BadRequest, 'missing field "app"');
  const app = apps.byId(appId);
  if (!app) fail(Errors.NotFound, `app ${appId} does not exist`);
  if (!app.enabled) fail(Errors.Forbidden, 'app is disabled');
  const id = values.get('id');
  if (id !== undefined && (id.length === 0 || id.length > MAX_IDEMPOTENCY_ID_LENGTH)) {
    fail(Errors.BadRequest, `"id" must be 1 to ${MAX_IDEMPOTENCY_ID_LENGTH} characters`);
  }
  const body = values.get('body');
  if (body === undefined) fail(Errors.BadRequest, 'missing field "body"');
  const limit = maxBodyBytes(app);
  if (Buffer.byteLength(body) > limit) fail(Errors.PayloadTooLarge, `body larger than ${limit} bytes`);
  const json = parseJsonObject(Buffer.from(body));
  return { app, requests: json['batch'] === undefined ? [validatePublish(app, json)] : validateBatch(app, json['batch']).map((item) => item.request), id };
}

