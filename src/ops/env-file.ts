import { readFileSync } from 'node:fs';
import { parse } from 'dotenv';
import { Errors, GatewayError } from '../protocol/errors.js';
import { ENV_PREFIX } from './config-env.js';

/** What `--env-file` contributes to the configuration. */
export interface EnvFileReading {
  /** `SWITCHBOARD_*` variables found in the file (the process environment still wins over them). */
  readonly env: Readonly<Record<string, string>>;
  /** Values in config shape taken from the Laravel names: the app, and the port when it is the gateway's. */
  readonly values: Record<string, unknown>;
  /** Config path (dotted) → the file's variable it came from, to name it in errors. */
  readonly variables: ReadonlyMap<string, string>;
  /** What was taken, for one log line (no secret in it). */
  readonly summary: Record<string, unknown>;
}

const SETS = {
  pusher: { id: 'PUSHER_APP_ID', key: 'PUSHER_APP_KEY', secret: 'PUSHER_APP_SECRET' },
  reverb: { id: 'REVERB_APP_ID', key: 'REVERB_APP_KEY', secret: 'REVERB_APP_SECRET' },
} as const;

/**
 * Reads a Laravel `.env` (parsed by dotenv) so a Laravel project can point Switchboard at its own file:
 * - the app: `PUSHER_APP_ID` / `_KEY` / `_SECRET`, or the `REVERB_APP_*` names; when both sets are
 *   complete, `BROADCAST_CONNECTION` (or the older `BROADCAST_DRIVER`) picks, else Pusher's;
 * - the port: `REVERB_SERVER_PORT` (Reverb's own listening port), else `PUSHER_PORT` / `REVERB_PORT` when
 *   the matching `*_SCHEME` is `http`. With `https` (Laravel's default) clients reach a TLS proxy in front
 *   of the gateway, so that port is not the gateway's and is left alone. `REVERB_SERVER_HOST` sets `host`;
 *   `PUSHER_HOST` is the name clients use and is never bound;
 * - every `SWITCHBOARD_*` variable in the file, as if it were in the environment.
 * Throws `GatewayError(InvalidConfig)` when the file cannot be read or a set is incomplete.
 */
export function readEnvFile(path: string): EnvFileReading {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new GatewayError(Errors.InvalidConfig, `cannot read env file ${path}: ${(error as Error).message}`);
  }
  const vars = parse(text);
  const get = (name: string): string | undefined => {
    const v = vars[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(vars)) if (name.startsWith(ENV_PREFIX)) env[name] = value;

  const values: Record<string, unknown> = {};
  const variables = new Map<string, string>();
  const summary: Record<string, unknown> = { envFile: path };
  const connection = (get('BROADCAST_CONNECTION') ?? get('BROADCAST_DRIVER'))?.toLowerCase();
  const order: Array<keyof typeof SETS> = connection === 'reverb' ? ['reverb', 'pusher'] : ['pusher', 'reverb'];
  const complete = order.find((s) => get(SETS[s].id) && get(SETS[s].key) && get(SETS[s].secret));
  if (complete) {
    const names = SETS[complete];
    values['apps'] = [{ id: get(names.id), key: get(names.key), secret: get(names.secret) }];
    for (const field of ['id', 'key', 'secret'] as const) variables.set(`apps.0.${field}`, `${names[field]} in ${path}`);
    variables.set('apps', `${names.id}/_KEY/_SECRET in ${path}`);
    Object.assign(summary, { app: get(names.id), key: get(names.key), from: `${complete.toUpperCase()}_APP_*` });
  } else {
    for (const s of order) {
      const missing = Object.values(SETS[s]).filter((n) => !get(n));
      if (missing.length < 3) throw new GatewayError(Errors.InvalidConfig, `invalid config: ${path} sets some of ${Object.values(SETS[s]).join(', ')} but not ${missing.join(', ')}`);
    }
  }

  const reverb = complete === 'reverb';
  const prefix = reverb ? 'REVERB' : 'PUSHER';
  const serverPort = reverb ? get('REVERB_SERVER_PORT') : undefined;
  const publicPort = get(`${prefix}_PORT`);
  const scheme = (get(`${prefix}_SCHEME`) ?? 'https').toLowerCase();
  const portVar = serverPort !== undefined ? 'REVERB_SERVER_PORT' : scheme === 'http' && publicPort !== undefined ? `${prefix}_PORT` : undefined;
  if (portVar) {
    const port = Number(get(portVar));
    if (!Number.isInteger(port)) throw new GatewayError(Errors.InvalidConfig, `invalid config "port" from ${portVar} in ${path}: ${JSON.stringify(get(portVar))} is not a port number`);
    values['port'] = port;
    variables.set('port', `${portVar} in ${path}`);
    summary['port'] = port;
  } else if (publicPort !== undefined) {
    summary['ignored'] = `${prefix}_PORT (${prefix}_SCHEME is ${scheme}: clients reach a TLS proxy in front of the gateway)`;
  }
  const serverHost = reverb ? get('REVERB_SERVER_HOST') : undefined;
  if (serverHost) {
    values['host'] = serverHost;
    variables.set('host', `REVERB_SERVER_HOST in ${path}`);
  }
  return { env, values, variables, summary };
}
