import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliProcess, runToEnd } from '../helpers/cli-process.js';
import { NPM_FLAGS, nodeScript, npm, npmEnv, tarList, tarball } from './npm-helpers.js';

// What a user does: `npm pack` on a clean checkout, `npm install -g` of the tarball, then the
// `switchboard` command and `import … from 'switchboard'`.

const ROOT = process.cwd();
const PKG = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
};
/** Not part of the package's inputs: the copy that is packed holds none of them. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', 'test', 'bench', 'packages', 'test-artifacts', '.switchboard-tmp']);

describe('the npm package', () => {
  let tmp: string;
  let tgz: string;
  let files: string[];
  let prefix: string;
  let installed: string;

  before(
    async () => {
      tmp = await mkdtemp(join(tmpdir(), 'switchboard-package-'));
      const clone = join(tmp, 'clone');
      await cp(ROOT, clone, { recursive: true, filter: (src) => !NOT_COPIED.has(relative(ROOT, src).split(sep)[0] ?? '') && !src.endsWith('.tgz') });
      // The compiled code `npm run build` made before the tests (prepack/prepare would compile the
      // same files again, which costs a loaded CI machine more than this whole file may take).
      await cp(join(ROOT, 'dist', 'src'), join(clone, 'dist', 'src'), { recursive: true });
      await cp(join(ROOT, 'dist', 'test'), join(clone, 'dist', 'test'), { recursive: true });
      await npm(['pack', '--ignore-scripts', '--pack-destination', tmp, ...NPM_FLAGS], clone);
      tgz = await tarball(tmp);
      files = await tarList(tgz);
      prefix = join(tmp, 'prefix');
      await npm(['install', '--global', '--prefix', prefix, ...NPM_FLAGS, tgz], tmp);
      installed = join(prefix, 'lib', 'node_modules', PKG.name);
    },
    { timeout: 600_000 },
  );
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('builds on pack: prepack clears dist/src, prepare compiles src alone', async () => {
    const scripts = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts['prepare'], 'tsc -p tsconfig.build.json');
    assert.match(scripts['prepack'] ?? '', /rmSync\('dist\/src'/);
    const build = JSON.parse(await readFile(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { extends: string; include: string[] };
    assert.deepEqual(build, { extends: './tsconfig.json', include: ['src/**/*.ts'] }, 'the test build (tsconfig.json) compiles the same src files with the same options');
  });

  it('ships the compiled code, its types and runtime files, and nothing of the tests', () => {
    const targets = [PKG.main, PKG.types, ...Object.values(PKG.bin), ...Object.values(PKG.exports).flatMap((e) => (typeof e === 'string' ? [e] : [e.types, e.default]))];
    for (const target of targets) assert.ok(files.includes(join('package', target)), `${target} is in the tarball`);
    for (const needed of ['package/src/ops/dashboard/index.html', 'package/data/lookup/whois-servers.json', 'package/examples/systemd/switchboard.service', 'package/schema/switchboard.schema.json', 'package/README.md', 'package/LICENSE']) {
      assert.ok(files.includes(needed), `${needed} is in the tarball`);
    }
    assert.deepEqual(
      files.filter((f) => f.startsWith('package/dist/test') || f.startsWith('package/test/') || f.endsWith('.map') || /^package\/src\/.*\.ts$/.test(f)),
      [],
      'no tests, source maps or TypeScript sources',
    );
  });

  it('installs a `switchboard` command that prints its version', async () => {
    const res = await runToEnd(join(prefix, 'bin', 'switchboard'), ['--version'], { env: npmEnv });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), PKG.version);
  });

  it('starts and drains a gateway from the installed command, dashboard included', async () => {
    const token = 'installed-package-admin-token';
    const cli = CliProcess.spawn(join(prefix, 'bin', 'switchboard'), ['start', '--port', '0', '--admin-port', '0'], { ...npmEnv, SWITCHBOARD_ADMIN__TOKEN: token });
    try {
      const port = (await cli.logLine('switchboard listening'))['port'] as number;
      const adminPort = (await cli.logLine('admin listener: /metrics /health /ready and the dashboard'))['port'] as number;
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.deepEqual(await health.json(), { status: 'ok', connections: 0 });
      const auth = { authorization: `Bearer ${token}` };
      const page = await fetch(`http://127.0.0.1:${adminPort}/`, { headers: auth });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /dashboard\.js/);
      const uplot = await fetch(`http://127.0.0.1:${adminPort}/assets/uPlot.iife.min.js`, { headers: auth });
      assert.equal(uplot.status, 200, 'uPlot comes from the installed dependencies');
      assert.ok((await uplot.arrayBuffer()).byteLength > 10_000);
    } finally {
      assert.equal(await cli.stop(), 0, cli.stderr);
    }
  });

  it('is importable with its typed API: start and stop a gateway from code, the lookup library', async () => {
    const app = join(tmp, 'app');
    await mkdir(join(app, 'node_modules'), { recursive: true });
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await symlink(installed, join(app, 'node_modules', PKG.name), 'dir');
    const out = await nodeScript(
      app,
      'use.mjs',
      `import { startGateway, lookup, VERSION, GatewayError, Errors } from 'switchboard';
import { normalizeDomain } from 'switchboard/lookup';
const gw = await startGateway({ port: 0, logLevel: 'silent', admin: { enabled: false }, apps: [{ id: '42', key: 'k-42', secret: 's-42' }] });
const health = await (await fetch('http://127.0.0.1:' + gw.address.port + '/health')).json();
await gw.stop();
const refused = await fetch('http://127.0.0.1:' + gw.address.port + '/health').then(() => false, () => true);
const invalid = await startGateway({ port: 'x' }).then(() => 'started', (e) => e instanceof GatewayError && e.kind === Errors.InvalidConfig && e.message.includes('"port"') ? 'InvalidConfig naming port' : String(e));
console.log(JSON.stringify({ VERSION, health, refused, apps: gw.config.apps.map((a) => a.key), invalid,
  tlds: Object.keys(lookup.shippedData().map).length, normalized: normalizeDomain('Example.COM').ascii }));
`,
    );
    assert.deepEqual(out, {
      VERSION: PKG.version,
      health: { status: 'ok', connections: 0 },
      refused: true,
      apps: ['k-42'],
      invalid: 'InvalidConfig naming port',
      tlds: out['tlds'],
      normalized: 'example.com',
    });
    assert.ok((out['tlds'] as number) > 10, 'the shipped lookup data loads from the installed package');

    // The declarations: a consumer's strict TypeScript compiles against them (and would not if they
    // were missing or wrong: `gw.address.port` is a number, `checkDomains` resolves to results).
    await writeFile(
      join(app, 'use.ts'),
      `import { startGateway, lookup, type RunningGateway, type SwitchboardConfig } from 'switchboard';
import { normalizeDomain } from 'switchboard/lookup';
const config: SwitchboardConfig = { port: 0, apps: [{ id: '1', key: 'k', secret: 's', history: [{ pattern: 'feed-*' }] }] };
const gw: RunningGateway = await startGateway(config);
const port: number = gw.address.port;
const results = await lookup.checkDomains(['example.com']);
const status: 1 | 0 | -1 | undefined = results[0]?.status;
console.log(port, status, normalizeDomain('Example.COM'));
await gw.stop();
`,
    );
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] },
        files: ['use.ts'],
      }),
    );
    const tsc = await runToEnd(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: app });
    assert.equal(tsc.code, 0, `tsc against the installed declarations: ${tsc.stdout}${tsc.stderr}`);
  });
});

