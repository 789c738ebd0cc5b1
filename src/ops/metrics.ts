import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ApiObserver, QueueObserver, WebhookObserver } from '../seams/observers.js';
import type { CoreObserver } from '../core/observer.js';
import { Errors } from '../protocol/errors.js';
import { HotHistogram } from './hot-histogram.js';

/** What the channel gauge reads at scrape time: occupied channels on this node. */
export interface ChannelSource {
  channelCount(appId?: string): number;
}

/** Running totals of one app on this node, for the admin API's figures and rates. */
export interface AppTotals {
  connections: number;
  connectionsByTransport: Record<string, number>;
  subscriptions: number;
  connects: number;
  disconnects: number;
  messagesIn: number;
  bytesIn: number;
  /** Channel events written to subscribers (frames × recipients). */
  messagesOut: number;
  bytesOut: number;
  /** Events published through the HTTP API or the queue (one per channel). */
  published: number;
  clientEvents: number;
  errors: number;
}

type AppLabel = 'app';

/** All-zero totals for an app nothing has happened in yet. */
export function emptyTotals(): AppTotals {
  return {
    connections: 0,
    connectionsByTransport: {},
    subscriptions: 0,
    connects: 0,
    disconnects: 0,
    messagesIn: 0,
    bytesIn: 0,
    messagesOut: 0,
    bytesOut: 0,
    published: 0,
    clientEvents: 0,
    errors: 0,
  };
}

/** The labelled children of one app, resolved once so that observer callbacks do no label lookups. */
class AppMeters {
  readonly totals: AppTotals = emptyTotals();
  readonly subscriptions;
  readonly subscribes;
  readonly rejections;
  readonly messagesIn;
  readonly bytesIn;
  readonly messagesOut;
  readonly bytesOut;
  readonly fanout;
  readonly published;
  readonly publishedBytes;
  readonly clientEvents;
  readonly slowConsumers;
  private readonly transports = new Map<string, { connections: Gauge.Internal<string>; connects: Counter.Internal }>();
  /** Per-delivery figures are plain numbers on the hot path; `sync` adds them to the counters at scrape. */
  publishedBytesTotal = 0;
  private readonly exported = { messagesOut: 0, bytesOut: 0, published: 0, publishedBytes: 0 };

  constructor(
    private readonly m: Metrics,
    private readonly appId: string,
  ) {
    const app = { app: appId };
    this.subscriptions = m.subscriptions.labels(app);
    this.subscribes = m.subscribes.labels(app);
    this.rejections = m.subscriptionRejections.labels(app);
    this.messagesIn = m.messagesIn.labels(app);
    this.bytesIn = m.bytesIn.labels(app);
    this.messagesOut = m.messagesOut.labels(app);
    this.bytesOut = m.bytesOut.labels(app);
    this.fanout = m.fanout.labels(appId);
    this.published = m.published.labels(app);
    this.publishedBytes = m.publishedBytes.labels(app);
    this.clientEvents = m.clientEvents.labels(app);
    this.slowConsumers = m.slowConsumerDisconnects.labels(app);
    // Counters start at an explicit 0 so rate() and alerts see the series before the first event.
    for (const c of [this.subscribes, this.rejections, this.messagesIn, this.bytesIn, this.messagesOut, this.bytesOut, this.published, this.publishedBytes, this.clientEvents, this.slowConsumers]) c.inc(0);
  }

  /** Adds what the hot path counted since the last scrape to the Prometheus counters. */
  sync(): void {
    const t = this.totals;
    const e = this.exported;
    this.messagesOut.inc(t.messagesOut - e.messagesOut);
    this.bytesOut.inc(t.bytesOut - e.bytesOut);
    this.published.inc(t.published - e.published);
    this.publishedBytes.inc(this.publishedBytesTotal - e.publishedBytes);
    e.messagesOut = t.messagesOut;
    e.bytesOut = t.bytesOut;
    e.published = t.published;
    e.publishedBytes = this.publishedBytesTotal;
  }

  transport(kind: string): { connections: Gauge.Internal<string>; connects: Counter.Internal } {
    let t = this.transports.get(kind);
    if (!t) {
      const labels = { app: this.appId, transport: kind };
      t = { connections: this.m.connections.labels(labels), connects: this.m.connects.labels(labels) };
      this.transports.set(kind, t);
    }
    return t;
  }
}

export interface MetricsOptions {
  /** Process memory, CPU, event-loop lag, GC (prom-client's default metrics). Default true. */
  readonly processMetrics?: boolean;
}

/**
 * Switchboard's Prometheus metrics, in a registry of their own (so several gateways can live in one
 * process, as in tests). Core and the HTTP API feed it through `coreObserver` and `apiObserver`;
 * other modules (webhooks, the queue consumer) increment the public instruments directly.
 *
 * Cost on the hot path: one Map lookup per observer call (the app's cached children) and a few
 * additions; deliveries are counted once per channel flush, never per recipient.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly connections: Gauge<AppLabel | 'transport'>;
  readonly connects: Counter<AppLabel | 'transport'>;
  readonly disconnects: Counter<AppLabel | 'transport' | 'code'>;
  readonly slowConsumerDisconnects: Counter<AppLabel>;
  readonly subscriptions: Gauge<AppLabel>;
  readonly subscribes: Counter<AppLabel>;
  readonly subscriptionRejections: Counter<AppLabel>;
  readonly channels: Gauge<AppLabel>;
  readonly messagesIn: Counter<AppLabel>;
  readonly bytesIn: Counter<AppLabel>;
  readonly messagesOut: Counter<AppLabel>;
  readonly bytesOut: Counter<AppLabel>;
  readonly fanout: HotHistogram;
  readonly published: Counter<AppLabel>;
  readonly publishedBytes: Counter<AppLabel>;
  readonly clientEvents: Counter<AppLabel>;
  readonly errors: Counter<AppLabel | 'code'>;
  readonly apiRequests: Counter<'route' | 'method' | 'status'>;
  readonly apiDuration: Histogram<'route' | 'method'>;

  readonly webhookRequests: Counter<AppLabel>;
  readonly webhookEvents: Counter<AppLabel>;
  readonly webhookDuration: Histogram<AppLabel>;
  readonly webhookRetries: Counter<AppLabel>;
  readonly webhookDrops: Counter<AppLabel | 'reason'>;
  readonly queueEvents: Counter<AppLabel | 'result'>;
  readonly queueDeadLetters: Counter;
  readonly queueUp: Gauge;
  /** Entries in the ingest stream not yet read by the consumer group, read at scrape time. */
  readonly queueLag: Gauge<'stream'>;

  readonly coreObserver: CoreObserver;
  readonly apiObserver: ApiObserver;
  readonly webhookObserver: WebhookObserver;
  readonly queueObserver: QueueObserver;

  private readonly apps = new Map<string, AppMeters>();
  private channelSource: ChannelSource | undefined;
  private lagSource: { stream: string; read: () => Promise<number | undefined> } | undefined;
  private apiRequestCount = 0;

  constructor(options: MetricsOptions = {}) {
    const r = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> => new Counter({ name, help, labelNames, registers: r });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> => new Gauge({ name, help, labelNames, registers: r });

    this.connections = gauge('switchboard_connections', 'Open client connections on this node', ['app', 'transport']);
    this.connects = counter('switchboard_connects_total', 'Client connections opened', ['app', 'transport']);
    this.disconnects = counter('switchboard_disconnects_total', 'Client connections closed, by close code', ['app', 'transport', 'code']);
    this.slowConsumerDisconnects = counter('switchboard_slow_consumer_disconnects_total', 'Clients cut off (4100) because they stopped reading', ['app']);
    this.subscriptions = gauge('switchboard_subscriptions', 'Channel subscriptions held by connections on this node', ['app']);
    this.subscribes = counter('switchboard_subscribes_total', 'Successful channel subscriptions', ['app']);
    this.subscriptionRejections = counter('switchboard_subscription_rejections_total', 'Refused channel subscriptions (bad auth, limits)', ['app']);
    const source = (): ChannelSource | undefined => this.channelSource;
    const apps = this.apps;
    this.channels = new Gauge({
      name: 'switchboard_channels',
      help: 'Channels with at least one subscriber on this node',
      labelNames: ['app'],
      registers: r,
      collect() {
        const s = source();
        if (!s) return;
        this.reset();
        for (const appId of apps.keys()) this.set({ app: appId }, s.channelCount(appId));
      },
    });
    this.messagesIn = counter('switchboard_messages_in_total', 'Frames received from clients', ['app']);
    this.bytesIn = counter('switchboard_bytes_in_total', 'Bytes of frames received from clients', ['app']);
    // Written once per delivery batch or publish: counted in plain numbers, added at scrape time.
    const syncHot = (): void => {
      for (const meters of apps.values()) meters.sync();
    };
    const hotCounter = (name: string, help: string): Counter<AppLabel> => new Counter({ name, help, labelNames: ['app'], registers: r, collect: syncHot });
    this.messagesOut = hotCounter('switchboard_messages_out_total', 'Channel events written to subscribers (events x recipients)');
    this.bytesOut = hotCounter('switchboard_bytes_out_total', 'Bytes of channel events written to subscribers');
    // Observed once per channel batch delivered: many thousand times a second under load.
    this.fanout = new HotHistogram(this.registry, 'switchboard_fanout_recipients', 'Local subscribers each channel event was written to', 'app', [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10_000, 50_000]);
    this.published = hotCounter('switchboard_published_total', 'Events published by the application (HTTP API or queue), one per channel');
    this.publishedBytes = hotCounter('switchboard_published_bytes_total', 'Bytes of event data published by the application');
    this.clientEvents = counter('switchboard_client_events_total', 'Client events relayed', ['app']);
    this.errors = counter('switchboard_errors_total', 'Errors reported to clients, by catalogue id', ['app', 'code']);
    this.apiRequests = counter('switchboard_http_requests_total', 'HTTP API requests, by route and status', ['route', 'method', 'status']);
    this.apiDuration = new Histogram({
      name: 'switchboard_http_request_duration_seconds',
      help: 'HTTP API request latency',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    });
    this.webhookRequests = counter('switchboard_webhook_deliveries_total', 'Webhook requests the application accepted', ['app']);
    this.webhookEvents = counter('switchboard_webhook_events_delivered_total', 'Webhook events delivered (a request carries several)', ['app']);
    this.webhookDuration = new Histogram({
      name: 'switchboard_webhook_delivery_seconds',
      help: 'Time from a webhook batch being sent first to its acceptance, retries included',
      labelNames: ['app'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
      registers: r,
    });
    this.webhookRetries = counter('switchboard_webhook_retries_total', 'Webhook requests that failed and will be retried', ['app']);
    this.webhookDrops = counter('switchboard_webhook_drops_total', 'Webhook events given up on, by reason', ['app', 'reason']);
    this.queueEvents = counter('switchboard_queue_entries_total', 'Ingest queue entries handled, by result (consumed, duplicate)', ['app', 'result']);
    this.queueDeadLetters = new Counter({ name: 'switchboard_queue_dead_letters_total', help: 'Malformed ingest queue entries moved to the dead-letter stream', registers: r });
    this.queueUp = new Gauge({ name: 'switchboard_queue_up', help: '1 while the ingest queue consumer reaches Redis', registers: r });
    const lagSource = (): { stream: string; read: () => Promise<number | undefined> } | undefined => this.lagSource;
    this.queueLag = new Gauge({
      name: 'switchboard_queue_lag',
      help: 'Ingest queue entries not yet read by the consumer group',
      labelNames: ['stream'],
      registers: r,
      async collect() {
        const source = lagSource();
        if (!source) return;
        const lag = await source.read();
        // Unknown (no stream yet, Redis down): no sample rather than a misleading 0.
        this.reset();
        if (lag !== undefined) this.set({ stream: source.stream }, lag);
      },
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });

    this.coreObserver = this.makeCoreObserver();
    this.apiObserver = {
      request: (e) => {
        this.apiRequestCount++;
        const status = String(e.status);
        this.apiRequests.inc({ route: e.route, method: e.method, status });
        this.apiDuration.observe({ route: e.route, method: e.method }, e.ms / 1000);
      },
    };
    this.webhookObserver = {
      delivered: (e) => {
        this.webhookRequests.inc({ app: e.appId });
        this.webhookEvents.inc({ app: e.appId }, e.events);
        this.webhookDuration.observe({ app: e.appId }, e.ms / 1000);
      },
      retried: (e) => this.webhookRetries.inc({ app: e.appId }),
      dropped: (e) => this.webhookDrops.inc({ app: e.appId, reason: e.reason }, e.events),
    };
    this.queueObserver = {
      consumed: (e) => this.queueEvents.inc({ app: e.appId, result: 'consumed' }),
      duplicate: (e) => this.queueEvents.inc({ app: e.appId, result: 'duplicate' }),
      // No reason label: the reason quotes the entry, which would make the label set unbounded.
      deadLettered: () => this.queueDeadLetters.inc(),
      connection: (e) => this.queueUp.set(e.up ? 1 : 0),
    };
  }

  /** Lets the channel gauge read this node's channel index at scrape time. */
  attach(channels: ChannelSource): void {
    this.channelSource = channels;
  }

  /** Lets the queue-lag gauge ask the queue at scrape time. */
  watchQueueLag(stream: string, read: () => Promise<number | undefined>): void {
    this.lagSource = { stream, read };
  }

  private app(appId: string): AppMeters {
    let meters = this.apps.get(appId);
    if (!meters) this.apps.set(appId, (meters = new AppMeters(this, appId)));
    return meters;
  }

  private makeCoreObserver(): CoreObserver {
    return {
      connectionOpened: (e) => {
        const a = this.app(e.appId);
        const t = a.transport(e.transport);
        t.connections.inc();
        t.connects.inc();
        a.totals.connections++;
        a.totals.connects++;
        a.totals.connectionsByTransport[e.transport] = (a.totals.connectionsByTransport[e.transport] ?? 0) + 1;
      },
      connectionClosed: (e) => {
        const a = this.app(e.appId);
        a.transport(e.transport).connections.dec();
        // Close codes are a small set (1000–1015, 4000–4399), so the label stays bounded.
        this.disconnects.inc({ app: e.appId, transport: e.transport, code: String(e.code) });
        if (e.code === Errors.SlowConsumer.wsCode) a.slowConsumers.inc();
        a.totals.connections--;
        a.totals.disconnects++;
        a.totals.connectionsByTransport[e.transport] = (a.totals.connectionsByTransport[e.transport] ?? 1) - 1;
      },
      subscribed: (e) => {
        const a = this.app(e.appId);
        a.subscriptions.inc();
        a.subscribes.inc();
        a.totals.subscriptions++;
      },
      unsubscribed: (e) => {
        const a = this.app(e.appId);
        a.subscriptions.dec();
        a.totals.subscriptions--;
      },
      subscriptionRejected: (e) => this.app(e.appId).rejections.inc(),
      messageReceived: (e) => {
        const a = this.app(e.appId);
        a.messagesIn.inc();
        a.bytesIn.inc(e.bytes);
        a.totals.messagesIn++;
        a.totals.bytesIn += e.bytes;
      },
      delivered: (e) => {
        const a = this.app(e.appId);
        const count = e.deliveries;
        a.fanout.observe(e.recipients, e.messages);
        a.totals.messagesOut += count;
        a.totals.bytesOut += e.bytes;
      },
      published: (e) => {
        const a = this.app(e.appId);
        a.totals.published += e.channels.length;
        a.publishedBytesTotal += e.bytes * e.channels.length;
      },
      clientEvent: (e) => {
        const a = this.app(e.appId);
        a.clientEvents.inc();
        a.totals.clientEvents++;
      },
      error: (e) => {
        this.errors.inc({ app: e.appId, code: e.code });
        this.app(e.appId).totals.errors++;
      },
    };
  }

  /** Running totals per app seen on this node (a copy). */
  totals(): Map<string, AppTotals> {
    const out = new Map<string, AppTotals>();
    for (const [appId, meters] of this.apps) out.set(appId, { ...meters.totals, connectionsByTransport: { ...meters.totals.connectionsByTransport } });
    return out;
  }

  /** HTTP API requests answered since start. */
  get apiRequestsServed(): number {
    return this.apiRequestCount;
  }

  /** The Prometheus text exposition. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
