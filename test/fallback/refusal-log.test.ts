import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RefusalLog } from '../../src/transport/http-fallback/refusal-log.js';
import { captureLog } from '../helpers/log-capture.js';

test('refusal lines are rate-limited per window and what was dropped is counted once the window ends', () => {
  const out = captureLog('info');
  const log = new RefusalLog(out.log, 'fallback request refused', 3, 10_000);
  for (let i = 0; i < 50; i++) log.refused({ session: `s${i}`, reason: 'request from another address' }, 1000 + i);
  assert.deepEqual(out.lines.map((l) => [l['msg'], l['session'], l['level']]), [
    ['fallback request refused', 's0', 30],
    ['fallback request refused', 's1', 30],
    ['fallback request refused', 's2', 30],
  ]);
  log.roll(5000);
  assert.equal(out.lines.length, 3, 'nothing more inside the window');
  log.roll(11_000);
  assert.deepEqual(out.lines.slice(3).map((l) => [l['msg'], l['suppressed'], l['windowSeconds']]), [['fallback request refused (more not logged)', 47, 10]]);
  log.roll(30_000);
  log.refused({ session: 'later', reason: 'another receive request is open' }, 30_001);
  assert.deepEqual(out.lines.slice(4).map((l) => l['session']), ['later'], 'a quiet window reports no count and the next refusal is logged');
});
