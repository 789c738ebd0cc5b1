#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { Errors, GatewayError, isGatewayError } from '../protocol/errors.js';
import { DEV_APP, loadConfig } from '../ops/config.js';
import { createLogger } from '../ops/logger.js';
import { Gateway } from '../gateway.js';

const USAGE = `Usage: switchboard <command> [options]

Commands:
  start       Start the gateway (default: 127.0.0.1:6001, in-memory, dev app app-id/app-key/app-secret)

Options for start:
  --config <file>        JSON config file (defaults < file < SWITCHBOARD_* env < flags)
  --host <host>          Address to listen on
  --port <port>          Port for WebSocket and HTTP API
  --path-prefix <path>   Serve under this path prefix
  --log-level <level>    fatal|error|warn|info|debug|trace|silent
  --adapter <name>       local | redis
  --redis-url <url>      Redis URL for the redis adapter
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
    },
    strict: true,
  });
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

  const { config, usingDevApp } = loadConfig({ file: values.config, env: process.env, flags });
  const log = createLogger(config.logLevel);
  if (usingDevApp) {
    log.warn({ appId: DEV_APP.id, key: DEV_APP.key }, 'no apps configured: using the development app (app-id / app-key / app-secret); do not use it in production');
  }
  const gateway = new Gateway({ config, log });
  const address = await gateway.start();
  log.info({ host: address.address, port: address.port, apps: config.apps.length, adapter: config.adapter }, 'switchboard listening');

  return new Promise<number>((resolve) => {
    let signals = 0;
    const shutdown = (signal: string): void => {
      if (++signals > 1) {
        log.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      log.info({ signal }, 'shutting down: closing connections with 4200');
      gateway.stop().then(
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
    process.on('SIGINT', () => shutdown('SIGINT'));
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
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
