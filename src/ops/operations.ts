import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ApiObserver, QueueObserver, WebhookObserver } from '../seams/observers.js';
import type { CoreObserver } from '../core/observer.js';
import type { AdminTarget } from './admin-api.js';
import { generateAdminToken } from './admin-auth.js';
import { AdminServer } from './admin-server.js';
import type { Config } from './config.js';
import { DebugConsole } from './debug-console.js';
import { Metrics, type MetricsOptions } from './metrics.js';
import { QueueLagProbe } from './queue-lag.js';
import { RateHistory } from './rate-history.js';

export interface StartedAdmin {
  readonly address: AddressInfo;
  readonly token: string;
  /** True when no token was configured and `token` was generated for this run. */
  readonly generatedToken: boolean;
}

/**
 * Everything operators look at, wired together: metrics, the rate history, the debug console and
 * the admin listener. Build it before the gateway (its observers go into `GatewayOptions`), start it
 * once the gateway runs, and stop it after the gateway has drained, so that `/ready` answers 503
 * throughout the drain.
 */
export class Operations {
  readonly metrics: Metrics;
  readonly history: RateHistory;
  readonly debugConsole = new DebugConsole();
  private admin: AdminServer | undefined;
  private queueLag: QueueLagProbe | undefined;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    metricsOptions: MetricsOptions = {},
  ) {
    this.metrics = new Metrics(metricsOptions);
    this.history = new RateHistory(() => this.metrics.totals());
  }

  /** Everything to spread into `GatewayOptions`. */
  get gatewayObservers(): { observers: CoreObserver[]; apiObserver: ApiObserver; webhookObserver: WebhookObserver; queueObserver: QueueObserver } {
    const webhookSinks = [this.metrics.webhookObserver, this.debugConsole.webhookObserver];
    return {
      observers: [this.metrics.coreObserver, this.debugConsole.observer],
      apiObserver: this.metrics.apiObserver,
      webhookObserver: {
        delivered: (e) => webhookSinks.forEach((s) => s.delivered?.(e)),
        retried: (e) => webhookSinks.forEach((s) => s.retried?.(e)),
        dropped: (e) => webhookSinks.forEach((s) => s.dropped?.(e)),
      },
      queueObserver: this.metrics.queueObserver,
    };
  }

  /**
   * Starts sampling and, unless disabled in config, the admin listener; resolves undefined when the
   * listener is disabled or could not bind (logged as an error).
   */
  async start(target: AdminTarget): Promise<StartedAdmin | undefined> {
    this.metrics.attach(target.core);
    this.history.start();
    const queue = this.config.queue;
    if (queue.enabled) {
      const probe = (this.queueLag = new QueueLagProbe({ redisUrl: queue.redisUrl ?? this.config.redis.url, stream: queue.stream, group: queue.group }));
      this.metrics.watchQueueLag(queue.stream, () => probe.lag());
    }
    const admin = this.config.admin;
    if (!admin.enabled) return undefined;
    const token = admin.token ?? generateAdminToken();
    this.admin = new AdminServer({
      host: admin.host,
      port: admin.port,
      token,
      log: this.log.child({ component: 'admin' }),
      target,
      metrics: this.metrics,
      history: this.history,
      debugConsole: this.debugConsole,
    });
    let address: AddressInfo;
    try {
      address = await this.admin.start();
    } catch (error) {
      // The admin listener is auxiliary: a busy port must not take realtime traffic down. /ready
      // then never answers, which a load balancer's probe makes visible.
      this.admin = undefined;
      this.log.error({ err: error, host: admin.host, port: admin.port }, 'admin listener could not start; serving without metrics and dashboard');
      return undefined;
    }
    return { address, token, generatedToken: admin.token === undefined };
  }

  async stop(): Promise<void> {
    this.history.stop();
    this.debugConsole.close();
    this.queueLag?.close();
    await this.admin?.close();
  }
}
