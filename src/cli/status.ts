import { parseArgs } from 'node:util';
import type { BusyChannel, Overview } from '../ops/admin-api.js';
import { Errors } from '../protocol/errors.js';
import { loadConfig } from '../ops/config.js';
import { formatUptime } from '../ops/uptime.js';

export const STATUS_USAGE = `Usage: switchboard status [options]

Prints a running node's figures from its admin listener: readiness, connections, message rates per
app and the busiest channels. Exit status 0 when the node is ready, 1 otherwise.

Options:
  --url <url>            Admin listener, e.g. http://127.0.0.1:9601 or 10.0.0.5:9601 (default: from config)
  --token <token>        Admin token (default: admin.token from config / SWITCHBOARD_ADMIN__TOKEN)
  --config <file>        JSON config file to read admin.host, admin.port and admin.token from
  --channels <n>         Busiest channels to list per app (default 5, 0 for none)
  --json                 Print the raw figures as JSON
`;

export interface StatusReport {
  readonly overview: Overview;
  readonly channels: Record<string, BusyChannel[]>;
}

/** `switchboard status`: reads the admin JSON API and prints it for a terminal. */
export async function status(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      config: { type: 'string' },
      channels: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const { config } = loadConfig({ file: values.config, env: process.env });
  const host = config.admin.host === '0.0.0.0' || config.admin.host === '::' ? '127.0.0.1' : config.admin.host;
  const base = adminBase(values.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.admin.port}`);
  const token = values.token ?? config.admin.token;
  if (!token) throw new Error(`no admin token given for ${base}: pass --token, or set admin.token in the config or SWITCHBOARD_ADMIN__TOKEN (a node without one prints its generated token on stderr at start-up)`);
  const channelLimit = values.channels === undefined ? 5 : Number(values.channels);
  if (!Number.isInteger(channelLimit) || channelLimit < 0) throw new Error(`--channels ${values.channels} is not a whole number`);

  const get = async <T>(path: string): Promise<T> => {
    const url = `${base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new Error(`cannot reach ${base}: ${fetchFailure(error)}`);
    }
    let body: T & { error?: string };
    try {
      body = (await res.json()) as T & { error?: string };
    } catch {
      throw new Error(`${url} answered HTTP ${res.status} without JSON: is ${base} a switchboard admin listener (admin.port, default 9601)?`);
    }
    if (res.status === Errors.AuthFailed.httpStatus) {
      throw new Error(body.error === 'admin token rejected' ? `${base} rejected the admin token: check --token, admin.token or SWITCHBOARD_ADMIN__TOKEN` : `${base}: ${body.error ?? 'unauthorized'}`);
    }
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}${body.error ? `: ${body.error}` : ''}`);
    return body;
  };
  const overview = await get<Overview>('/api/overview');
  const channels = new Map<string, BusyChannel[]>();
  if (channelLimit > 0 && overview.node.clusterHealthy) {
    for (const app of overview.apps) {
      channels.set(app.id, (await get<{ channels: BusyChannel[] }>(`/api/apps/${encodeURIComponent(app.id)}/channels?limit=${channelLimit}`)).channels);
    }
  }
  // Keyed by app id: defined as own keys, whatever the id.
  const report: StatusReport = { overview, channels: Object.fromEntries(channels) };
  out(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
  return overview.node.ready ? 0 : 1;
}

/** `127.0.0.1:9601` → `http://127.0.0.1:9601`; trailing slashes dropped. */
export function adminBase(url: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  return withScheme.replace(/\/+$/, '');
}

/** Why a fetch failed, from its cause: `connection refused (ECONNREFUSED)`, `no answer within 10 s`, … */
function fetchFailure(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer within 10 s';
  const cause = (error as { cause?: unknown }).cause as (Error & { code?: string }) | undefined;
  const code = cause?.code ?? (error as { code?: string }).code;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused: is switchboard running there, with the admin listener enabled (admin.enabled, admin.port)?',
    ENOTFOUND: 'no such host',
    EAI_AGAIN: 'the host name could not be resolved (DNS)',
    ECONNRESET: 'the connection was reset',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'connection timed out',
  };
  if (code && known[code]) return `${known[code]} (${code})`;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The terminal rendering: a summary line, a table per app, the busiest channels. */
export function formatStatus({ overview, channels }: StatusReport): string {
  const { node } = overview;
  const lines: string[] = [];
  const state = node.ready ? 'ready' : `NOT READY (${node.notReadyReason ?? 'unknown'})`;
  lines.push(`node ${node.nodeId}  ${state}  up ${formatUptime(node.uptimeSeconds)}  rss ${mib(node.memory.rss)}  heap ${mib(node.memory.heapUsed)}`);
  lines.push(`connections ${node.connections}  channels ${node.channels}  API requests ${node.apiRequests}  cluster ${node.clusterHealthy ? 'healthy' : 'UNAVAILABLE'}`);
  if (overview.host) lines.push(`host: ${overview.host.connections} connections over ${overview.host.workers} workers (this worker: ${node.connections})`);
  lines.push('');
  const header = ['APP', 'CONNECTIONS', 'SUBSCRIPTIONS', 'CHANNELS', 'IN/s', 'OUT/s', 'PUBLISHED/s', 'ERRORS'];
  const rows = overview.apps.map((a) => [
    a.enabled ? a.id : `${a.id} (disabled)`,
    String(a.connections),
    String(a.subscriptions),
    String(a.channels),
    String(a.rates.messagesIn),
    String(a.rates.messagesOut),
    String(a.rates.published),
    String(a.totals.errors),
  ]);
  lines.push(...table([header, ...rows]));
  for (const [appId, list] of Object.entries(channels)) {
    lines.push('', `busiest channels of ${appId}:`);
    if (list.length === 0) lines.push('  (none)');
    const width = Math.max(0, ...list.map((c) => c.name.length));
    for (const c of list) lines.push(`  ${c.name.padEnd(width)}  ${String(c.subscriptions).padStart(6)} subscriptions${c.members === undefined ? '' : `, ${c.members} members`}`);
  }
  return `${lines.join('\n')}\n`;
}

function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '));
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
