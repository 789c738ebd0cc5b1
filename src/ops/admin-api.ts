import type { AppStore } from '../apps/app-store.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Core } from '../core/core.js';
import { validatePublish } from '../core/publisher.js';
import { channelNameProblem, channelTraits } from '../protocol/channel-name.js';
import { Errors, GatewayError } from '../protocol/errors.js';
import { emptyTotals, type AppTotals, type Metrics } from './metrics.js';
import { formatUptime } from './uptime.js';
import type { AppSeries, RateHistory } from './rate-history.js';

/** The parts of a running gateway the admin listener reads (a `Gateway` satisfies it). */
export interface AdminTarget {
  readonly core: Core;
  readonly apps: AppStore;
  readonly cluster: Cluster;
}

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready: `draining` or `cluster unavailable`. */
  readonly reason?: string;
}

export interface AppOverview {
  readonly id: string;
  readonly enabled: boolean;
  readonly connections: number;
  readonly connectionsByTransport: Record<string, number>;
  readonly subscriptions: number;
  readonly channels: number;
  /** Per second, over the last sample interval. */
  readonly rates: { messagesIn: number; messagesOut: number; published: number };
  readonly totals: AppTotals;
  readonly history?: AppSeries;
}

export interface Overview {
  readonly node: {
    readonly nodeId: string;
    readonly uptimeSeconds: number;
    /** `uptimeSeconds` as people read it (`1m 44s`), the same text `switchboard status` prints. */
    readonly uptime: string;
    readonly ready: boolean;
    readonly notReadyReason?: string;
    readonly draining: boolean;
    readonly clusterHealthy: boolean;
    readonly connections: number;
    readonly channels: number;
    readonly apiRequests: number;
    readonly memory: { rss: number; heapUsed: number };
  };
  /** With `--workers`: every worker's connections together (this node is one worker of them). */
  readonly host?: { readonly connections: number; readonly workers: number };
  readonly apps: AppOverview[];
}

export interface BusyChannel {
  readonly name: string;
  readonly subscriptions: number;
  /** Presence channels only. */
  readonly members?: number;
}

const MAX_MEMBERS = 1000;

/**
 * The figures behind the dashboard and `switchboard status`, and the test-publish action. Inputs
 * are validated here and failures thrown as `GatewayError`s; the admin server turns them into HTTP.
 */
export class AdminApi {
  private readonly startedAt = Date.now();

  constructor(
    private readonly target: AdminTarget,
    private readonly metrics: Metrics,
    private readonly history: RateHistory,
  ) {}

  readiness(): Readiness {
    if (this.target.core.draining) return { ready: false, reason: 'draining' };
    if (!this.target.cluster.healthy()) return { ready: false, reason: 'cluster unavailable' };
    return { ready: true };
  }

  /** Figures for every app; `historyFor` adds the sampled series of that one app. */
  overview(historyFor?: string): Overview {
    const { core, cluster } = this.target;
    const totals = this.metrics.totals();
    const readiness = this.readiness();
    const memory = process.memoryUsage();
    const apps = this.target.apps.all().map((app): AppOverview => {
      const t = totals.get(app.id) ?? emptyTotals();
      return {
        id: app.id,
        enabled: app.enabled,
        connections: core.connectionCount(app.id),
        connectionsByTransport: t.connectionsByTransport,
        subscriptions: t.subscriptions,
        channels: core.channelCount(app.id),
        rates: this.history.latest(app.id),
        totals: t,
        ...(historyFor === app.id ? { history: this.history.of(app.id) } : {}),
      };
    });
    const uptime = Math.round((Date.now() - this.startedAt) / 1000);
    return {
      node: {
        nodeId: cluster.nodeId,
        uptimeSeconds: uptime,
        uptime: formatUptime(uptime),
        ready: readiness.ready,
        ...(readiness.reason ? { notReadyReason: readiness.reason } : {}),
        draining: core.draining,
        clusterHealthy: cluster.healthy(),
        connections: core.connectionCount(),
        channels: core.channelCount(),
        apiRequests: this.metrics.apiRequestsServed,
        memory: { rss: memory.rss, heapUsed: memory.heapUsed },
      },
      ...(cluster.tally ? { host: (({ connections, nodes }) => ({ connections, workers: nodes }))(cluster.tally.total()) } : {}),
      apps,
    };
  }

  /** The channels with the most subscriptions across the cluster, busiest first. */
  async busiestChannels(appId: string, limit: number, prefix: string): Promise<BusyChannel[]> {
    this.app(appId);
    this.requireCluster();
    const listed = await this.target.cluster.channels.list(appId, prefix);
    const top = [...listed].filter(([name]) => !name.startsWith('#')).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit);
    return Promise.all(
      top.map(async ([name, subscriptions]): Promise<BusyChannel> => {
        if (channelTraits(name).kind !== 'presence') return { name, subscriptions };
        return { name, subscriptions, members: await this.target.cluster.presence.memberCount(appId, name) };
      }),
    );
  }

  /** Members of a presence channel (at most 1,000), in join order. */
  async members(appId: string, channel: string): Promise<{ members: Array<{ id: string; info: unknown }>; total: number }> {
    this.app(appId);
    const problem = channelNameProblem(channel);
    if (problem) throw new GatewayError(Errors.BadRequest, `invalid channel: ${problem}`);
    if (channelTraits(channel).kind !== 'presence') throw new GatewayError(Errors.BadRequest, 'members are only available for presence channels');
    this.requireCluster();
    const members = await this.target.cluster.presence.members(appId, channel);
    const list = [...members].slice(0, MAX_MEMBERS).map(([id, info]) => ({ id, info }));
    return { members: list, total: members.size };
  }

  /** Publishes a test event with the same validation and limits as the HTTP API. */
  async publish(appId: string, body: Record<string, unknown>): Promise<{ channel: string; event: string }> {
    const app = this.app(appId);
    const data = typeof body['data'] === 'string' ? body['data'] : JSON.stringify(body['data'] ?? {});
    const request = validatePublish(app, { name: body['event'], data, channel: body['channel'] });
    await this.target.core.publish(app, request);
    return { channel: request.channels[0] as string, event: request.name };
  }

  private app(appId: string): NonNullable<ReturnType<AppStore['byId']>> {
    const app = this.target.apps.byId(appId);
    if (!app) throw new GatewayError(Errors.NotFound, `app ${appId} does not exist`);
    return app;
  }

  private requireCluster(): void {
    if (!this.target.cluster.healthy()) throw new GatewayError(Errors.Unavailable, 'cluster state is unavailable; try again');
  }
}

