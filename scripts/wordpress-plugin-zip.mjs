#!/usr/bin/env node
// Builds the WordPress plugin's release zip, what wp-admin's "Upload Plugin" takes or what unpacks into
// wp-content/plugins: examples/wordpress/switchboard-live/ plus pusher-js's browser build from node_modules
// (MIT; its licence files travel with it) as assets/vendor/, so sites load no script from a CDN.
//   node scripts/wordpress-plugin-zip.mjs [out.zip]     (default dist/switchboard-live.zip)
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const plugin = join(root, 'examples/wordpress/switchboard-live');
const out = resolve(process.argv[2] ?? join(root, 'dist/switchboard-live.zip'));
const pusherJs = dirname(createRequire(join(root, 'package.json')).resolve('pusher-js/package.json'));

/** @type {Record<string, [Uint8Array, { mtime: Date }]>} */
const entries = {};
function add(name, path) {
  entries[`switchboard-live/${name}`] = [readFileSync(path), { mtime: statSync(path).mtime }];
}
function addTree(dir) {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) addTree(path);
    else add(relative(plugin, path).split('\\').join('/'), path);
  }
}

addTree(plugin);
add('assets/vendor/pusher.min.js', join(pusherJs, 'dist/web/pusher.min.js'));
add('assets/vendor/pusher.min.js.LICENSE.txt', join(pusherJs, 'dist/web/pusher.min.js.LICENSE.txt'));
add('assets/vendor/pusher-js-LICENCE', join(pusherJs, 'LICENCE'));

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, zipSync(entries, { level: 9 }));
const version = JSON.parse(readFileSync(join(pusherJs, 'package.json'), 'utf8')).version;
const shown = relative(process.cwd(), out);
console.log(`${shown.startsWith('..') ? out : shown}: ${Object.keys(entries).length} files, pusher-js ${version}`);
