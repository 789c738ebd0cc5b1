#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { Errors, GatewayError, isGatewayError } from '../protocol/errors.js';
import { loadConfig } from '../ops/config.js';
import { createLogger } from '../ops/logger.js';
import { launchGateway, warnDevApp } from '../start-gateway.js';
import { VERSION } from '../version.js';
import { status, STATUS_USAGE } from './status.js';
import { runLookupCli } from '../lookup/cli.js';
import cluster from 'node:cluster';
import { HostCluster } from '../cluster/host-cluster.js';
import type { HostPort } from '../cluster/host-port.js';
import { runPrimary, WORKER_SLOT_ENV, workerCount } from './workers.js';

const USAGE = `Usage: switchboard <command> [options]

Commands:
  lookup      Check domain availability over DNS/RDAP/WHOIS (docs/lookup.md)
  start       Start the gateway (default: 127.0.0.1:6001, in-memory, dev app app-id/app-key/app-secret)
  status      Print a running node's readiness, connections, rates and busiest channels
  --version   Print the version

switchboard <command> --help shows the options of a command.
`;

const START_USAGE = `Usage: switchboard start [options]

Starts the gateway. Sources, later wins: defaults < --config file < --env-file < SWITCHBOARD_* environment
< these flags. Without any app configured it serves the development app app-id / app-key / app-secret.

Options:
  --config <file>        JSON config file (schema: schema/switchboard.schema.json)
  --env-file <file>      A Laravel .env: PUSHER_APP_ID/KEY/SECRET (or REVERB_APP_*) become the app,
                         PUSHER_PORT the port when PUSHER_SCHEME=http; SWITCHBOARD_* in it are read too
  --host <host>          Address to listen on (default 127.0.0.1)
  --port <port>          Port for WebSocket, HTTP fallbacks, SSE and the HTTP API (default 6001)
  --path-prefix <path>   Serve under this path prefix
  --log-level <level>    fatal|error|warn|info|debug|trace|silent (default info)
  --adapter <name>       local | redis
  --redis-url <url>      Redis URL for the redis adapter
  --admin-port <port>    Port of the admin listener (metrics, health, dashboard; default 9601)
  --workers <n|auto>     Worker processes sharing the port (auto: one per core; default 1)
  -h, --help             This text
`;

async function start(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'path-prefix': { type: 'string' },
      'log-level': { type: 'string' },
      adapter: { type: 'string' },
      'redis-url': { type: 'string' },
      'admin-port': { type: 'string' },
      workers: { type: 'string' },
      'env-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(START_USAGE);
    return 0;
  }
  const flags: Record<string, unknown> = {};
  if (values.host !== undefined) flags['host'] = values.host;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port)) throw new GatewayError(Errors.InvalidConfig, `invalid config "port": --port ${values.port} is not a number`);
    flags['port'] = port;
  }
  if (values['path-prefix'] !== undefined) flags['pathPrefix'] = values['path-prefix'];
  if (values['log-level'] !== undefined) flags['logLevel'] = values['log-level'];
  if (values.adapter !== undefined) flags['adapter'] = values.adapter;
  if (values['redis-url'] !== undefined) flags['redis'] = { url: values['redis-url'] };
  if (values['admin-port'] !== undefined) {
    const port = Number(values['admin-port']);
    if (!Number.isInteger(port)) throw new GatewayError(Errors.InvalidConfig, `invalid config "admin.port": --admin-port ${values['admin-port']} is not a number`);
    flags['admin'] = { port };
  }

  if (values.workers !== undefined) flags['workers'] = values.workers === 'auto' ? 'auto' : Number(values.workers);

  const { config, usingDevApp, warnings, envFile } = loadConfig({ file: values.config, envFile: values['env-file'], env: process.env, flags });
  const log = createLogger(config.logLevel, process.stdout.isTTY === true, config.logTimestamps);
  if (!cluster.isWorker) {
    for (const warning of warnings) log.warn({ warning }, 'config warning');
    if (envFile) log.info(envFile, 'read the app from the env file');
  }
  const workers = workerCount(config);
  if (cluster.isPrimary && workers > 1) return runPrimary(config, log, workers);
  // A worker of `--workers N`: shares state through the primary unless Redis is configured, and only
  // the first one serves the admin listener (one dashboard and token per host).
  const hostCluster = cluster.isWorker && config.adapter === 'local' ? new HostCluster(process as unknown as HostPort) : undefined;
  if (cluster.isWorker && process.env[WORKER_SLOT_ENV] !== '1') config.admin.enabled = false;
  if (usingDevApp && !(cluster.isWorker && process.env[WORKER_SLOT_ENV] !== '1')) warnDevApp(log);
  const running = await launchGateway(config, log, hostCluster ? { cluster: hostCluster } : {}).catch((error: unknown) => {
    throw listenFailure(error, config.host, config.port) ?? error;
  });
  const admin = running.admin;
  // Printed, not logged: the operator needs this generated token once, and logs must never hold it.
  if (admin?.generatedToken) process.stderr.write(`switchboard: admin dashboard http://${admin.address.address}:${admin.address.port}/ token ${admin.token} (set admin.token to choose one)\n`);

  return new Promise<number>((resolve) => {
    let signals = 0;
    const shutdown = (signal: string): void => {
      if (++signals > 1) {
        log.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      log.info({ signal }, 'shutting down: closing connections with 4200');
      running.stop().then(
          () => {
            log.info('stopped');
            resolve(0);
          },
          (error: unknown) => {
            log.error({ err: error }, 'shutdown failed');
            resolve(1);
          },
        );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    // systemd's ExecReload (and `kill -HUP`): reload, never exit (Node's default for SIGHUP).
    process.on('SIGHUP', () => {
      log.info({ signal: 'SIGHUP' }, 'reloading');
      running.reload().catch((error: unknown) => log.error({ err: error }, 'reload failed; serving with the previous state'));
    });
    process.on('SIGINT', () => shutdown('SIGINT'));
    // A worker whose primary is gone would hold its share of the port with nobody to restart it.
    if (cluster.isWorker) process.on('disconnect', () => shutdown('primary gone'));
  });
}

/** A port that cannot be bound, as one sentence naming it (no stack); undefined for other errors. */
function listenFailure(error: unknown, host: string, port: number): Error | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use (another switchboard, or another program): stop it or choose another port with --port or SWITCHBOARD_PORT`
      : code === 'EACCES'
        ? `no permission to listen on ${host}:${port} (ports below 1024 need privileges): choose another port with --port or SWITCHBOARD_PORT`
        : code === 'EADDRNOTAVAIL'
          ? `cannot listen on ${host}:${port}: ${host} is not an address of this machine (--host, SWITCHBOARD_HOST)`
          : undefined;
  return why === undefined ? undefined : new Error(why);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'status':
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(STATUS_USAGE);
        return 0;
      }
      return status(rest);
    case 'lookup':
      // runLookupCli installs its own SIGINT handling (clean Ctrl-C, exit 130).
      return runLookupCli(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Let pino's transport flush before exiting.
    setImmediate(() => process.exit(code));
  },
  (error: unknown) => {
    if (isGatewayError(error)) process.stderr.write(`switchboard: ${error.message}\n`);
    else process.stderr.write(`switchboard: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(isGatewayError(error) && error.kind === Errors.InvalidConfig ? 78 : 1);
  },
);
