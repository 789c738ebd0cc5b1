import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { configJsonSchema } from '../../src/ops/config-json-schema.js';

// Compiled tests run from dist/test/ops; the committed schema sits at the repository root.
const committed = JSON.parse(readFileSync(new URL('../../../schema/switchboard.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;

test('the committed schema/switchboard.schema.json is what the zod schema generates (npm run config-schema)', () => {
  assert.deepEqual(committed, configJsonSchema());
});

test('the JSON Schema accepts a real config and refuses typos, as the loader does', () => {
  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(committed);
  const good = {
    $schema: './node_modules/switchboard/schema/switchboard.schema.json',
    port: 6001,
    logTimestamps: 'iso',
    apps: [{ id: '42', key: 'my-key', secret: 'change-me', clientEvents: true, webhooks: [{ url: 'https://example.com/hook', event_types: ['channel_occupied'] }] }],
    redis: { url: 'redis://127.0.0.1:6379' },
  };
  assert.equal(validate(good), true, JSON.stringify(validate.errors));
  assert.equal(validate({ prot: 6001 }), false);
  assert.equal(validate({ apps: [{ id: '1', key: 'k', secrte: 's' }] }), false);
  assert.equal(validate({ apps: [{ id: '1', key: 'k', secret: 's', clientEvent: true }] }), false);
  assert.equal(validate({ port: 70000 }), false);
  assert.equal(validate({ logLevel: 'verbose' }), false);
});
