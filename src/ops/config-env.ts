import type { z } from 'zod';
import { Errors, GatewayError } from '../protocol/errors.js';
import { keysAt, nearest, schemaAt, valueKind } from './config-keys.js';

export const ENV_PREFIX = 'SWITCHBOARD_';

/**
 * `SWITCHBOARD_*` variables read by the PHP examples and client code, not by the gateway. They are
 * ignored without a warning, so one shell can run both.
 */
export const CLIENT_VARIABLES: ReadonlySet<string> = new Set([
  'SWITCHBOARD_APP_ID',
  'SWITCHBOARD_APP_KEY',
  'SWITCHBOARD_APP_SECRET',
  'SWITCHBOARD_API_URL',
  'SWITCHBOARD_WS_HOST',
  'SWITCHBOARD_WS_PORT',
  'SWITCHBOARD_STREAM',
]);

export interface EnvReading {
  /** The values in config shape. */
  readonly values: Record<string, unknown>;
  /** Config path (dotted) → the variable it came from, to name it in errors. */
  readonly variables: ReadonlyMap<string, string>;
  /** Unknown `SWITCHBOARD_*` variables, each with a sentence for the operator; they were ignored. */
  readonly warnings: readonly string[];
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** `REDIS__NODE_TTL_SECONDS` → `['redis', 'nodeTtlSeconds']`. */
function pathOf(name: string): string[] {
  return name
    .slice(ENV_PREFIX.length)
    .split('__')
    .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
}

/** `['redis', 'nodeTtlSeconds']` → `SWITCHBOARD_REDIS__NODE_TTL_SECONDS`. */
export function variableOf(path: readonly string[]): string {
  return ENV_PREFIX + path.map((p) => p.replace(/([A-Z])/g, '_$1').toUpperCase()).join('__');
}

/** Every variable name that maps to a settable key (objects are walked; arrays and records are one value). */
function knownVariables(root: z.ZodType, path: string[] = []): string[] {
  const keys = keysAt(root, path);
  return keys.flatMap((key) => {
    const sub = [...path, key];
    const nested = keysAt(root, sub);
    return [variableOf(sub), ...(nested.length > 0 ? knownVariables(root, sub) : [])];
  });
}

/**
 * Reads `SWITCHBOARD_*` variables into config shape, each typed by the schema: strings as they are,
 * numbers, booleans as true/false/1/0/yes/no/on/off, lists of strings as JSON or comma-separated,
 * objects and arrays as JSON. A value that does not read as its type throws
 * `GatewayError(InvalidConfig)` naming the variable; an unknown variable is reported in `warnings`
 * (with the nearest known name) and ignored.
 */
export function readEnv(env: NodeJS.ProcessEnv, root: z.ZodType): EnvReading {
  const values: Record<string, unknown> = {};
  const variables = new Map<string, string>();
  const warnings: string[] = [];
  let known: string[] | undefined;
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const path = pathOf(name);
    const node = path.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype') ? undefined : schemaAt(root, path);
    if (!node) {
      if (CLIENT_VARIABLES.has(name)) continue;
      const guess = nearest(name, (known ??= knownVariables(root)));
      warnings.push(`unknown environment variable ${name} ignored${guess ? ` (did you mean ${guess}?)` : ''}`);
      continue;
    }
    let target = values;
    path.forEach((key, i) => {
      if (i === path.length - 1) target[key] = parseValue(name, path.join('.'), raw, valueKind(node));
      else target = (target[key] = isPlainObject(target[key]) ? target[key] : {}) as Record<string, unknown>;
    });
    variables.set(path.join('.'), name);
  }
  return { values, variables, warnings };
}

function parseValue(name: string, key: string, raw: string, kind: ReturnType<typeof valueKind>): unknown {
  const invalid = (what: string): GatewayError => new GatewayError(Errors.InvalidConfig, `invalid config "${key}" from ${name}: ${what}`);
  const text = raw.trim();
  switch (kind) {
    case 'string':
      return raw;
    case 'number': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw invalid(`${JSON.stringify(raw.slice(0, 40))} is not a number`);
      return n;
    }
    case 'boolean': {
      const word = text.toLowerCase();
      if (TRUE.has(word)) return true;
      if (FALSE.has(word)) return false;
      throw invalid(`${JSON.stringify(raw.slice(0, 40))} is not a boolean (true/false, 1/0, yes/no, on/off)`);
    }
    case 'string-list':
      if (!text.startsWith('[')) return text === '' ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== '');
      return parseJson(text, invalid);
    case 'json':
      return parseJson(text, invalid);
    case 'unknown':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return raw;
      }
  }
}

/** JSON.parse naming the variable; the message keeps the position only, never the text (it may hold secrets). */
function parseJson(text: string, invalid: (what: string) => GatewayError): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const at = /position (\d+)/.exec((error as Error).message);
    throw invalid(`not valid JSON${at ? ` (error at character ${at[1]})` : ''}`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
