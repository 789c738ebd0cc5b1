import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGateway, testApp, type TestGateway } from '../helpers/gateway.js';
import { NPM_FLAGS, nodeScript, npm, tarList, tarball } from './npm-helpers.js';

const ROOT = process.cwd();

describe('the switchboard-resume add-on package', () => {
  let tmp: string;
  let gw: TestGateway;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'switchboard-resume-package-'));
    gw = await startGateway({ apps: [testApp({ history: [{ pattern: 'feed-*', maxEvents: 10, ttlSeconds: 60 }] })] });
  });
  after(async () => {
    await gw?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('packs, installs by file and works with the pusher-js it pulls in as its peer', { timeout: 300_000 }, async () => {
    await npm(['pack', '--pack-destination', tmp, ...NPM_FLAGS], join(ROOT, 'packages', 'switchboard-resume'));
    const tgz = await tarball(tmp);
    assert.deepEqual((await tarList(tgz)).sort(), ['package/README.md', 'package/index.d.ts', 'package/index.js', 'package/package.json']);
    const app = join(tmp, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await npm(['install', ...NPM_FLAGS, tgz], app);
    // The add-on asks for the channel's position on subscribe (`since: "latest"`): without it the
    // gateway sends no pusher_internal:resume and the script times out.
    const out = await nodeScript(
      app,
      'resume.mjs',
      `import Pusher from 'pusher-js';
import { attachResume } from 'switchboard-resume';
const pusher = new Pusher('app-key', { cluster: 'mt1', wsHost: '127.0.0.1', wsPort: Number(process.argv[2]), forceTLS: false, enabledTransports: ['ws'], disableStats: true });
const resume = attachResume(pusher);
const timer = setTimeout(() => { console.log(JSON.stringify({ error: 'no pusher_internal:resume' })); process.exit(1); }, 15000);
pusher.connection.bind('message', (frame) => {
  if (frame.event !== 'pusher_internal:resume') return;
  clearTimeout(timer);
  console.log(JSON.stringify({ position: resume.position('feed-1') ?? null }));
  pusher.disconnect();
});
pusher.subscribe('feed-1');
`,
      [String(gw.port)],
    );
    assert.match(String(out['position']), /^[\w-]+:\d+$/);
  });
});
