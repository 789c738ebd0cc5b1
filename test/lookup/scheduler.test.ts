import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { Scheduler, BackoffError } from '../../src/lookup/index.js';

/** A task that stays running until released, recording concurrency per server. */
function harness(globalConcurrency: number, concurrency: number, spacingMs = 0) {
  const running = new Map<string, number>();
  const peaks = new Map<string, number>();
  const starts: { server: string; at: number }[] = [];
  const gates: (() => void)[] = [];
  const events = new EventEmitter();
  let total = 0;
  let peakTotal = 0;
  const s = new Scheduler({ globalConcurrency, limitsFor: () => ({ concurrency, spacingMs }) });
  const task = (server: string) => () =>
    new Promise<string>((resolve) => {
      starts.push({ server, at: Date.now() });
      running.set(server, (running.get(server) ?? 0) + 1);
      peaks.set(server, Math.max(peaks.get(server) ?? 0, running.get(server) ?? 0));
      peakTotal = Math.max(peakTotal, ++total);
      gates.push(() => {
        running.set(server, (running.get(server) ?? 1) - 1);
        total--;
        resolve(server);
      });
      events.emit('start');
    });
  return { s, task, peaks, starts, gates, events, get peakTotal() { return peakTotal; } };
}

/** Releases running tasks as they start until `done` settles (new starts happen on later ticks). */
async function drain(gates: (() => void)[], done: Promise<unknown>): Promise<void> {
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished) {
    gates.splice(0).forEach((g) => g());
    await new Promise((r) => setImmediate(r));
  }
  await done;
}

test('global and per-server caps hold; a saturated server does not block others', async () => {
  const h = harness(5, 2);
  const all = [];
  for (let i = 0; i < 10; i++) all.push(h.s.run('slow', h.task('slow')));
  for (let i = 0; i < 3; i++) all.push(h.s.run('fast', h.task('fast')));
  // The slow server's 8 queued jobs must not occupy global slots: fast's 2 start right away.
  assert.equal(h.starts.filter((x) => x.server === 'slow').length, 2);
  assert.equal(h.starts.filter((x) => x.server === 'fast').length, 2);
  await drain(h.gates, Promise.all(all));
  assert.equal(h.peaks.get('slow'), 2);
  assert.equal(h.peaks.get('fast'), 2);
  assert.ok(h.peakTotal <= 5);
  assert.equal(h.starts.length, 13);
});

test('spacing separates starts on one server', async () => {
  const h = harness(10, 10, 40);
  const all = [h.s.run('a', h.task('a')), h.s.run('a', h.task('a')), h.s.run('a', h.task('a'))];
  while (h.starts.length < 3) await once(h.events, 'start');
  for (let i = 1; i < 3; i++) assert.ok((h.starts[i]?.at ?? 0) - (h.starts[i - 1]?.at ?? 0) >= 38);
  h.gates.forEach((g) => g());
  await Promise.all(all);
});

test('identical requests in flight are merged; one caller aborting does not cancel the others', async () => {
  const h = harness(10, 10);
  const ac = new AbortController();
  const a = h.s.run('x', h.task('x'), { mergeKey: 'k', signal: ac.signal });
  const b = h.s.run('x', h.task('x'), { mergeKey: 'k' });
  assert.equal(h.starts.length, 1);
  ac.abort(new Error('gone'));
  await assert.rejects(a, /gone/);
  (h.gates[0] as () => void)();
  assert.equal(await b, 'x');
});

test('aborting a queued job removes it without running it', async () => {
  const h = harness(1, 1);
  const first = h.s.run('x', h.task('x'));
  const ac = new AbortController();
  const second = h.s.run('x', h.task('x'), { signal: ac.signal });
  ac.abort(new Error('cancelled'));
  await assert.rejects(second, /cancelled/);
  (h.gates[0] as () => void)();
  await first;
  assert.equal(h.starts.length, 1);
});

test('back-off delays starts, and rejects at once when it outlasts the deadline', async () => {
  const h = harness(10, 10);
  h.s.backoff('x', 150);
  const t0 = Date.now();
  const late = h.s.run('x', h.task('x'), { deadline: Date.now() + 50 });
  await assert.rejects(late, BackoffError);
  assert.ok(Date.now() - t0 < 50);
  const ok = h.s.run('x', h.task('x'), { deadline: Date.now() + 5000 });
  await once(h.events, 'start');
  assert.ok(Date.now() - t0 >= 140);
  (h.gates[0] as () => void)();
  await ok;
});
