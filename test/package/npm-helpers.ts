import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runToEnd } from '../helpers/cli-process.js';

// Shared by the package tests: npm run as a user would, from npm's cache (filled by `npm ci`) and the
// registry only for what the cache lacks.

export const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

/**
 * The environment for npm: `npm test` exports its own `npm_*` settings (prefix, command, …) to the
 * tests; only the cache, registry and user config carry over to the npm run here.
 */
export const npmEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('npm_') && !['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig'].includes(k)).map((k) => [k, undefined])),
  PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
};

export async function npm(args: string[], cwd: string): Promise<string> {
  const res = await runToEnd('npm', args, { cwd, env: npmEnv });
  assert.equal(res.code, 0, `npm ${args.join(' ')} failed: ${res.stderr}${res.stdout}`);
  return res.stdout;
}

/** The one .tgz npm pack left in `dir`. */
export async function tarball(dir: string): Promise<string> {
  const found = (await readdir(dir)).filter((f) => f.endsWith('.tgz'));
  assert.equal(found.length, 1, `one tarball in ${dir}: ${found.join(', ')}`);
  return join(dir, found[0] ?? '');
}

export async function tarList(file: string): Promise<string[]> {
  const res = await runToEnd('tar', ['-tzf', file]);
  assert.equal(res.code, 0, res.stderr);
  return res.stdout.split('\n').filter(Boolean);
}

/** Runs `node script` (ESM source) in `cwd` and parses the JSON it prints last. */
export async function nodeScript(cwd: string, name: string, source: string, args: string[] = []): Promise<Record<string, unknown>> {
  await writeFile(join(cwd, name), source);
  const res = await runToEnd(process.execPath, [name, ...args], { cwd });
  assert.equal(res.code, 0, `${name} failed: ${res.stderr}${res.stdout}`);
  const last = res.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

