#!/usr/bin/env node
// Fake WHOIS registries for the benchmark, in their own process so that the server side's CPU does not
// share the event loop with the client being measured. Forked by run.mjs; talks over IPC:
//   → {ports: number[]} once listening;  ← 'reset' | 'stats' → {peaks: number[], queries: number[]}
// A request counts as in flight from accept until the answer has been handed to the kernel (or the client
// went away), which is what a per-server cap limits.
import { createServer } from 'node:net';

const latency = Number(process.argv[2] ?? 50);
const count = Number(process.argv[3] ?? 5);
const state = [];

for (let i = 0; i < count; i++) {
  const st = { active: 0, peak: 0, queries: 0 };
  const server = createServer((sock) => {
    st.active++;
    st.peak = Math.max(st.peak, st.active);
    let open = true;
    const done = () => {
      if (open) st.active--;
      open = false;
    };
    sock.on('close', done);
    sock.on('finish', done);
    sock.on('error', () => undefined);
    let buf = '';
    let answered = false;
    sock.on('data', (b) => {
      buf += b.toString();
      if (answered || !buf.includes('\n')) return;
      answered = true;
      const q = buf.trim();
      st.queries++;
      const text = q.startsWith('taken') ? `Domain Name: ${q}\r\nRegistrar: Bench\r\n` : `No match for "${q.toUpperCase()}".\r\n`;
      setTimeout(() => sock.end(text), latency);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  st.port = server.address().port;
  state.push(st);
}
process.send({ ports: state.map((s) => s.port) });
process.on('message', (m) => {
  if (m === 'reset') for (const s of state) Object.assign(s, { peak: 0, queries: 0 });
  if (m === 'stats') process.send({ peaks: state.map((s) => s.peak), queries: state.map((s) => s.queries) });
  if (m === 'exit') process.exit(0);
});
