import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ws from 'ws';

// ws exports its frame parser but @types/ws does not declare it. Under ESM it is a named export of
// the module (the default export, the WebSocket class, only carries it in the CommonJS build).
interface FrameReceiver {
  on(event: 'message', cb: (data: Buffer) => void): void;
  write(chunk: Buffer): void;
}
const Receiver = (ws as unknown as { Receiver: new (opts: { isServer: boolean }) => FrameReceiver }).Receiver;
import { wsTextFrame } from '../../src/transport/ws-frame.js';

test('short text frame: FIN+text opcode, 7-bit length, unmasked payload', () => {
  assert.equal(wsTextFrame('hi').toString('hex'), '81026869');
});

test('126..65535 bytes use the 16-bit extended length', () => {
  const frame = wsTextFrame('x'.repeat(300));
  assert.equal(frame.subarray(0, 4).toString('hex'), '817e012c');
  assert.equal(frame.length, 4 + 300);
});

test('65536+ bytes use the 64-bit extended length', () => {
  const frame = wsTextFrame('y'.repeat(70000));
  assert.equal(frame.subarray(0, 10).toString('hex'), '817f0000000000011170');
  assert.equal(frame.length, 10 + 70000);
});

test('multi-byte UTF-8 is measured in bytes, and ws parses the frames back', async () => {
  const texts = ['héllo ✓', 'z'.repeat(126), 'q'.repeat(65536)];
  const receiver = new Receiver({ isServer: false });
  const got: string[] = [];
  receiver.on('message', (data: Buffer) => got.push(data.toString()));
  for (const t of texts) receiver.write(wsTextFrame(t));
  assert.deepEqual(got, texts);
});
