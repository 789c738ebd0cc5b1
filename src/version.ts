import { readFileSync } from 'node:fs';

/**
 * The package's version, read from its package.json: compiled code runs from dist/src/, three levels
 * below it, both in a clone and in an installed package (`files` ships dist/src with package.json).
 */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
