import { distance } from 'fastest-levenshtein';
import type { z } from 'zod';

/** The parts of a zod 4 schema's definition this module reads. */
interface SchemaNode {
  readonly _zod: {
    readonly def: {
      readonly type: string;
      readonly innerType?: SchemaNode;
      readonly shape?: Readonly<Record<string, SchemaNode>>;
      readonly element?: SchemaNode;
      readonly valueType?: SchemaNode;
      readonly in?: SchemaNode;
    };
  };
}

/** What a config value is, as far as reading it from an environment variable goes. */
export type ValueKind = 'string' | 'number' | 'boolean' | 'string-list' | 'json' | 'unknown';

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

function unwrap(node: SchemaNode): SchemaNode {
  let n = node;
  for (;;) {
    const def = n._zod.def;
    if (WRAPPERS.has(def.type) && def.innerType) n = def.innerType;
    else if (def.type === 'pipe' && def.in) n = def.in;
    else return n;
  }
}

function child(node: SchemaNode, key: string): SchemaNode | undefined {
  const def = unwrap(node)._zod.def;
  if (def.type === 'object') return def.shape && Object.prototype.hasOwnProperty.call(def.shape, key) ? def.shape[key] : undefined;
  if (def.type === 'array') return /^\d+$/.test(key) ? def.element : undefined;
  if (def.type === 'record') return def.valueType;
  return undefined;
}

/** The schema of the value at `path` (object keys, array indexes), or undefined when no such key exists. */
export function schemaAt(root: z.ZodType, path: readonly (string | number)[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = root as unknown as SchemaNode;
  for (const key of path) {
    if (!node) return undefined;
    node = child(node, String(key));
  }
  return node;
}

/** The keys an object at `path` accepts; empty when the value there is not an object with known keys. */
export function keysAt(root: z.ZodType, path: readonly (string | number)[]): string[] {
  const node = schemaAt(root, path);
  if (!node) return [];
  const def = unwrap(node)._zod.def;
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** How an environment variable's text becomes the value at `node`. */
export function valueKind(node: SchemaNode): ValueKind {
  const def = unwrap(node)._zod.def;
  switch (def.type) {
    case 'string':
    case 'enum':
    case 'literal':
    case 'template_literal':
      return 'string';
    case 'number':
    case 'int':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return def.element && valueKind(def.element) === 'string' ? 'string-list' : 'json';
    case 'object':
    case 'record':
    case 'tuple':
      return 'json';
    default:
      return 'unknown';
  }
}

/**
 * The candidate closest to `word` when it is close enough to be a typo (at most a third of its
 * letters, rounded up, changed, and at most 3), else undefined. Case is ignored.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const allowed = Math.min(3, Math.max(1, Math.ceil(w.length / 3)));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}
