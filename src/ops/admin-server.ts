import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { parseJsonObject, readBody, sendError, sendJson } from '../edge/http-io.js';
import { Errors, GatewayError } from '../protocol/errors.js';
import { AdminApi, type AdminTarget } from './admin-api.js';
import { AdminAuth } from './admin-auth.js';
import type { DebugConsole, DebugEventType } from './debug-console.js';
import type { Metrics } from './metrics.js';
import type { RateHistory } from './rate-history.js';

export interface AdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly log: Logger;
  readonly target: AdminTarget;
  readonly metrics: Metrics;
  readonly history: RateHistory;
  readonly debugConsole: DebugConsole;
}

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // uPlot sizes its elements through inline style attributes; scripts come only from this listener.
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

/** SSE responses whose unsent backlog passes this are skipped (and the skip counted) until they drain. */
const SSE_MAX_BACKLOG = 256 * 1024;
const LOGIN_BODY_LIMIT = 4096;
const PUBLISH_BODY_LIMIT = 256 * 1024;

/**
 * The admin listener, on its own port: `/metrics` (Prometheus), `/health` (the process is alive),
 * `/ready` (503 while draining or while the cluster is unavailable), and behind the admin token the
 * dashboard, its JSON API under `/api/` and the debug console's event stream (`/api/events`, SSE).
 *
 * `/metrics`, `/health` and `/ready` are open so that scrapers and load balancers need no secret;
 * the listener binds to loopback by default.
 */
export class AdminServer {
  readonly server: Server;
  private readonly auth: AdminAuth;
  private readonly api: AdminApi;
  private readonly assets: Map<string, Asset>;
  private readonly streams = new Set<ServerResponse>();
  private requestSeq = 0;

  constructor(private readonly options: AdminServerOptions) {
    this.auth = new AdminAuth(options.token);
    this.api = new AdminApi(options.target, options.metrics, options.history);
    this.assets = loadAssets();
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  async start(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    for (const res of this.streams) res.end();
    this.streams.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    let log: Logger | undefined;
    const requestLog = (): Logger => (log ??= this.options.log.child({ reqId: ++this.requestSeq, method: req.method, path: url.pathname }));
    this.route(req, res, url).then(
      () => {
        if (this.options.log.isLevelEnabled('debug')) requestLog().debug({ status: res.statusCode, ms: Math.round(performance.now() - started) }, 'admin request');
      },
      (error: unknown) => {
        const status = sendError(res, error);
        if (status >= Errors.Internal.httpStatus) requestLog().error({ err: error, status }, 'admin request failed');
      },
    );
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' || method === 'HEAD') {
      switch (path) {
        case '/health':
          return sendJson(res, 200, { status: 'alive' });
        case '/ready': {
          const readiness = this.api.readiness();
          return sendJson(res, readiness.ready ? 200 : Errors.Unavailable.httpStatus, readiness);
        }
        case '/metrics': {
          const text = await this.options.metrics.scrape();
          res.writeHead(200, { 'content-type': this.options.metrics.contentType, 'cache-control': 'no-store' });
          res.end(text);
          return;
        }
        case '/':
          return this.sendPage(res, this.auth.allows(req) ? 'index.html' : 'login.html', 200);
        case '/favicon.ico':
          // Browsers ask for it on their own; the pages link the same icon.
          return this.sendAsset(res, 'favicon.svg');
      }
      if (path.startsWith('/assets/')) return this.sendAsset(res, path.slice('/assets/'.length));
    }
    if (method === 'POST' && path === '/login') return this.login(req, res);
    if (method === 'POST' && path === '/logout') {
      res.writeHead(303, { location: '/', 'set-cookie': AdminAuth.logoutCookie() });
      res.end();
      return;
    }
    if (path.startsWith('/api/')) {
      const auth = this.auth.check(req);
      if (auth === 'missing') throw new GatewayError(Errors.AuthFailed, 'admin token required');
      if (auth === 'wrong') throw new GatewayError(Errors.AuthFailed, 'admin token rejected');
      return this.apiRoute(req, res, method, path, url.searchParams);
    }
    throw new GatewayError(Errors.NotFound, `no route ${method} ${path}`);
  }

  private async apiRoute(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: URLSearchParams): Promise<void> {
    if (method === 'GET' && path === '/api/overview') return sendJson(res, 200, this.api.overview(query.get('history') ?? undefined), { 'cache-control': 'no-store' });
    if (method === 'GET' && path === '/api/events') return this.stream(req, res, query);
    const m = /^\/api\/apps\/([^/]+)\/(channels|events)(?:\/([^/]+)\/members)?$/.exec(path);
    if (m) {
      const appId = decode(m[1] ?? '');
      if (method === 'GET' && m[2] === 'channels' && m[3] === undefined) {
        const limit = Math.min(Math.max(Number(query.get('limit') ?? 10) || 10, 1), 100);
        return sendJson(res, 200, { channels: await this.api.busiestChannels(appId, limit, query.get('prefix') ?? '') });
      }
      if (method === 'GET' && m[2] === 'channels') return sendJson(res, 200, await this.api.members(appId, decode(m[3] ?? '')));
      if (method === 'POST' && m[2] === 'events' && m[3] === undefined) {
        // JSON only: a cross-site form cannot send it without a preflight we never answer.
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new GatewayError(Errors.BadRequest, 'content-type must be application/json');
        const body = parseJsonObject(await readBody(req, PUBLISH_BODY_LIMIT));
        return sendJson(res, 200, { ok: true, ...(await this.api.publish(appId, body)) });
      }
      throw new GatewayError(Errors.MethodNotAllowed, `${method} not allowed on ${path}`);
    }
    throw new GatewayError(Errors.NotFound, `no route ${method} ${path}`);
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, LOGIN_BODY_LIMIT);
    const token = new URLSearchParams(body.toString('utf8')).get('token') ?? '';
    if (!this.auth.tokenMatches(token)) {
      this.options.log.warn({ remoteAddress: req.socket.remoteAddress }, 'admin login refused');
      return this.sendPage(res, 'login.html', Errors.AuthFailed.httpStatus, '<p class="error" role="alert">Wrong token.</p>');
    }
    res.writeHead(303, { location: '/', 'set-cookie': this.auth.loginCookie(), 'cache-control': 'no-store' });
    res.end();
  }

  /** The debug console: batches of sampled events as server-sent events. */
  private stream(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const types = new Set((query.get('types') ?? '').split(',').filter(Boolean) as DebugEventType[]);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n: connected\n\n');
    let skipped = 0;
    const stop = this.options.debugConsole.watch({ appId: query.get('app') || undefined, types, text: query.get('q') || undefined }, (batch) => {
      if (res.writableLength > SSE_MAX_BACKLOG) {
        skipped += batch.events.length + batch.dropped;
        return;
      }
      res.write(`data: ${JSON.stringify({ events: batch.events, dropped: batch.dropped + skipped })}\n\n`);
      skipped = 0;
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
    heartbeat.unref();
    this.streams.add(res);
    const end = (): void => {
      stop();
      clearInterval(heartbeat);
      this.streams.delete(res);
    };
    req.on('close', end);
    res.on('close', end);
  }

  private sendPage(res: ServerResponse, name: string, status: number, error?: string): void {
    const asset = this.assets.get(name);
    if (!asset) throw new GatewayError(Errors.NotFound, `no page ${name}`);
    const body = error === undefined ? asset.body : Buffer.from(asset.body.toString('utf8').replace('<!--error-->', error));
    res.writeHead(status, { ...HTML_HEADERS, 'content-length': body.length });
    res.end(body);
  }

  private sendAsset(res: ServerResponse, name: string): void {
    const asset = this.assets.get(name);
    if (!asset || name.endsWith('.html')) throw new GatewayError(Errors.NotFound, `no asset ${name}`);
    res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.length, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.end(asset.body);
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new GatewayError(Errors.BadRequest, 'malformed percent-encoding in path');
  }
}

/** The dashboard's files, read once: its own pages and scripts, and uPlot from node_modules. */
function loadAssets(): Map<string, Asset> {
  const here = dirname(fileURLToPath(import.meta.url));
  // Compiled code runs from dist/src/ops while the static files stay in src/ops/dashboard.
  const dir = [join(here, 'dashboard'), join(here, '../../../src/ops/dashboard')].find((d) => existsSync(join(d, 'index.html')));
  if (!dir) throw new Error('dashboard files not found next to the admin server');
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot'));
  const files: Array<[string, string, string]> = [
    ['index.html', join(dir, 'index.html'), 'text/html; charset=utf-8'],
    ['login.html', join(dir, 'login.html'), 'text/html; charset=utf-8'],
    ['dashboard.js', join(dir, 'dashboard.js'), 'text/javascript; charset=utf-8'],
    ['dashboard.css', join(dir, 'dashboard.css'), 'text/css; charset=utf-8'],
    ['favicon.svg', join(dir, 'favicon.svg'), 'image/svg+xml'],
    ['uPlot.iife.min.js', join(uplot, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['uPlot.min.css', join(uplot, 'uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  return new Map(files.map(([name, path, type]) => [name, { type, body: readFileSync(path) }]));
}
