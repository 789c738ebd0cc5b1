#!/usr/bin/env node
// Writes schema/switchboard.schema.json from the compiled zod config schema (run `npm run build` first,
// or `npm run config-schema`). A test fails when the committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../dist/src/ops/config-json-schema.js';

const path = new URL('../schema/switchboard.schema.json', import.meta.url);
writeFileSync(path, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.pathname}`);
