import type { Logger } from 'pino';
import type { Cluster } from '../cluster/cluster.js';
import { Users } from '../core/users.js';
import { WebhookBatcher, type StillGone, type WebhookedApp } from './webhook-batcher.js';
import type { WebhookKind } from '../protocol/webhook-kinds.js';
import type { WebhookObserver } from '../seams/observers.js';
import type { WebhookEvent, WebhookFilter } from './webhook-event.js';
import { WebhookSender } from './webhook-sender.js';

/** What the service reads of the configuration; ops' `Config` is one. */
export interface WebhookServiceConfig {
  readonly webhooks: {
    readonly timeoutMs: number;
    readonly retryLimitSeconds: number;
    readonly retryInitialMs: number;
    readonly backlogSize: number;
    readonly batchWindowMs: number;
    readonly holdBackMs: number;
  };
  readonly apps: ReadonlyArray<{
    readonly id: string;
    readonly key: string;
    readonly secret: string;
    readonly webhooks: ReadonlyArray<{
      readonly url: string;
      readonly event_types: readonly WebhookKind[];
      readonly filter?: WebhookFilter | undefined;
      readonly headers: Readonly<Record<string, string>>;
    }>;
  }>;
}

/** Largest `events` array in one webhook request. */
const MAX_EVENTS_PER_REQUEST = 100;

/**
 * Webhooks for every configured app that has any: the batcher (a CoreObserver to hand to core) feeding
 * the sender. Absent when no app has a webhook, so the fan-out path pays nothing.
 */
export class WebhookService {
  readonly observer: WebhookBatcher;
  readonly sender: WebhookSender;

  private constructor(apps: readonly WebhookedApp[], config: WebhookServiceConfig, log: Logger, cluster: Cluster, metrics: WebhookObserver | undefined) {
    const w = config.webhooks;
    this.sender = new WebhookSender(
      {
        timeoutMs: w.timeoutMs,
        retryLimitMs: w.retryLimitSeconds * 1000,
        backoffInitialMs: w.retryInitialMs,
        backoffMaxMs: Math.max(w.retryInitialMs, 60_000),
        backlogSize: w.backlogSize,
      },
      log.child({ component: 'webhooks' }),
      metrics,
    );
    this.observer = new WebhookBatcher(
      apps,
      (app, target, events) => this.sender.enqueue(app, target, events),
      { batchWindowMs: w.batchWindowMs, holdBackMs: w.holdBackMs, maxEventsPerRequest: MAX_EVENTS_PER_REQUEST },
      stillGoneIn(cluster),
    );
  }

  static fromConfig(config: WebhookServiceConfig, log: Logger, cluster: Cluster, metrics?: WebhookObserver): WebhookService | undefined {
    const apps: WebhookedApp[] = config.apps
      .filter((a) => a.webhooks.length > 0)
      .map((a) => ({
        id: a.id,
        key: a.key,
        secret: a.secret,
        targets: a.webhooks.map((h) => ({ url: h.url, eventTypes: new Set<WebhookKind>(h.event_types), filter: h.filter, headers: h.headers })),
      }));
    return apps.length > 0 ? new WebhookService(apps, config, log, cluster, metrics) : undefined;
  }

  /** Webhook events queued and not yet delivered, per app id. */
  backlog(appId: string): number {
    return this.sender.backlog(appId);
  }

  /** Sends what is collected and held back, gives the queue `graceMs` to drain, drops the rest. */
  async close(graceMs: number): Promise<void> {
    this.observer.close();
    await this.sender.close(graceMs);
  }
}

/** Rechecks held-back departures against shared state, which knows about other nodes. */
function stillGoneIn(cluster: Cluster): StillGone {
  return async (appId: string, event: WebhookEvent): Promise<boolean> => {
    const userId = String(event['user_id']);
    switch (event.name) {
      case 'channel_vacated':
        return (await cluster.channels.count(appId, event.channel ?? '')) === 0;
      case 'member_removed':
        return !(await cluster.presence.members(appId, event.channel ?? '')).has(userId);
      case 'user_offline':
        return !(await cluster.presence.members(appId, Users.onlineChannel)).has(userId);
      default:
        return true;
    }
  };
}
