import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

/**
 * The import direction of DESIGN.md is enforced by the lint rule in eslint.config.js (`npm test`
 * runs lint over src/). These cases keep that rule honest: each forbidden import must be reported
 * and each permitted one must not, so a rule that silently stopped matching fails here.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${root}${file}` });
  assert.ok(result, 'eslint answered');
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

const importOf = (path: string): string => `import type { X } from '${path}';\nexport type Y = X;\n`;

const forbidden: Array<[file: string, path: string]> = [
  ['src/core/probe.ts', '../transport/ws-transport.js'],
  ['src/core/probe.ts', '../cluster/redis-broker.js'],
  ['src/core/probe.ts', '../cluster/local-cluster.js'],
  ['src/core/probe.ts', '../backend/http-api.js'],
  ['src/transport/probe.ts', '../core/core.js'],
  ['src/transport/http-fallback/probe.ts', '../../core/connection.js'],
  ['src/transport/probe.ts', '../backend/sse-authority.js'],
  ['src/protocol/probe.ts', '../seams/link.js'],
  ['src/seams/probe.ts', '../core/core.js'],
  ['src/edge/probe.ts', '../core/core.js'],
  ['src/backend/probe.ts', '../ops/config.js'],
  ['src/backend/probe.ts', '../transport/sse-transport.js'],
  ['src/ops/probe.ts', '../backend/http-api.js'],
  ['src/ops/probe.ts', '../backend/webhook-event.js'],
  ['src/ops/probe.ts', '../gateway.js'],
  ['src/lookup/probe.ts', '../protocol/errors.js'],
  ['src/backend/probe.ts', '../lookup/cli.js'],
  ['src/cluster/probe.ts', '../core/core.js'],
  ['src/apps/probe.ts', '../ops/config.js'],
];

const permitted: Array<[file: string, path: string]> = [
  ['src/core/probe.ts', '../cluster/broker.js'],
  ['src/core/probe.ts', '../seams/link.js'],
  ['src/core/probe.ts', './hub.js'],
  ['src/transport/probe.ts', '../seams/link.js'],
  ['src/transport/http-fallback/probe.ts', '../sse-transport.js'],
  ['src/transport/http-fallback/probe.ts', '../../protocol/errors.js'],
  ['src/backend/probe.ts', '../core/core.js'],
  ['src/ops/probe.ts', '../core/observer.js'],
  ['src/ops/probe.ts', '../seams/observers.js'],
  ['src/protocol/probe.ts', './errors.js'],
  ['src/gateway.ts', './transport/ws-transport.js'],
  ['src/cli/probe.ts', '../gateway.js'],
];

describe('layering lint rule', () => {
  for (const [file, path] of forbidden) {
    it(`reports ${path} in ${file}`, async () => {
      const errors = await layerErrors(file, importOf(path));
      assert.equal(errors.length, 1, `expected one layering error, got ${JSON.stringify(errors)}`);
      assert.match(errors[0] as string, /DESIGN\.md/);
    });
  }

  for (const [file, path] of permitted) {
    it(`allows ${path} in ${file}`, async () => {
      assert.deepEqual(await layerErrors(file, importOf(path)), []);
    });
  }

  it('reports re-exports and dynamic imports too', async () => {
    assert.equal((await layerErrors('src/core/probe.ts', "export { WsTransport } from '../transport/ws-transport.js';\n")).length, 1);
    assert.equal((await layerErrors('src/core/probe.ts', "export const m = () => import('../transport/ws-transport.js');\n")).length, 1);
  });
});
