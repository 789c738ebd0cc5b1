// The publisher process: publishes over HTTP keep-alive (signed Pusher REST API for soketi and
// Switchboard, POST /publish for the ws and socket.io peers). Forked by run.mjs; commands:
//   {cmd:'steady', kind, port, channel, eventsPerSec, durationMs, dataSize, maxInFlight}
//       open loop at a fixed rate; a publish that would exceed maxInFlight requests is dropped and
//       counted (the server is not keeping up), so the offered rate never turns into an unbounded queue
//   {cmd:'burst', kind, port, channel, events, concurrency, dataSize}
//       `events` publishes as fast as `concurrency` keep-alive connections allow
//   {cmd:'saturate', kind, port, channelCount, prefix, perRequest, concurrency, durationMs, dataSize}
//       closed loop: `concurrency` requests always in flight, each one event to `perRequest` distinct
//       channels picked at random among prefix0..prefix{channelCount-1}
// Each is answered with {id, sent, ok, failed, dropped, statusSamples, startUs, endUs}.

import http from 'node:http';
import { nowUs } from './lib/raw-ws.mjs';
import { eventData, publishRequest } from './lib/protocols.mjs';

function makeClient(kind, port, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const result = { sent: 0, ok: 0, failed: 0, dropped: 0, statusSamples: [], inFlight: 0 };
  let idle = null;
  const publish = (channels, dataSize) => {
    const { path, body, headers } = publishRequest(kind, channels, eventData(nowUs(), dataSize));
    result.sent++;
    result.inFlight++;
    return new Promise((resolve) => {
      const done = (ok, sample) => {
        result.inFlight--;
        if (ok) result.ok++;
        else {
          result.failed++;
          if (result.statusSamples.length < 5) result.statusSamples.push(sample);
        }
        if (result.inFlight === 0 && idle) idle();
        resolve();
      };
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path, agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const ok = res.statusCode >= 200 && res.statusCode < 300;
            done(ok, ok ? null : `${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`);
          });
        },
      );
      req.on('error', (err) => done(false, err.code || err.message));
      req.end(body);
    });
  };
  const drain = (timeoutMs = 30_000) =>
    new Promise((resolve) => {
      if (result.inFlight === 0) return resolve();
      const t = setTimeout(resolve, timeoutMs);
      idle = () => {
        clearTimeout(t);
        resolve();
      };
    });
  const finish = (startUs) => {
    agent.destroy();
    const { inFlight: _inFlight, ...rest } = result;
    return { ...rest, startUs, endUs: nowUs() };
  };
  return { publish, drain, finish, result };
}

async function steady({ kind, port, channel, eventsPerSec, durationMs, dataSize, maxInFlight }) {
  const c = makeClient(kind, port, maxInFlight);
  const startUs = nowUs();
  const endUs = startUs + durationMs * 1000;
  let due = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = nowUs();
      const target = Math.min(now, endUs) - startUs;
      const shouldHave = Math.floor((target * eventsPerSec) / 1e6);
      while (due < shouldHave) {
        due++;
        if (c.result.inFlight >= maxInFlight) c.result.dropped++;
        else c.publish([channel], dataSize);
      }
      if (now >= endUs) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await c.drain();
  return c.finish(startUs);
}

async function burst({ kind, port, channel, events, concurrency, dataSize }) {
  const c = makeClient(kind, port, concurrency);
  const startUs = nowUs();
  const all = [];
  for (let i = 0; i < events; i++) all.push(c.publish([channel], dataSize));
  await Promise.all(all);
  return c.finish(startUs);
}

async function saturate({ kind, port, channelCount, prefix, perRequest, concurrency, durationMs, dataSize }) {
  const c = makeClient(kind, port, concurrency);
  const names = Array.from({ length: channelCount }, (_, i) => `${prefix}${i}`);
  const stride = Math.max(1, Math.floor(channelCount / perRequest));
  const pick = () => {
    const first = Math.floor(Math.random() * channelCount);
    const out = new Array(perRequest);
    for (let k = 0; k < perRequest; k++) out[k] = names[(first + k * stride + Math.floor(Math.random() * stride)) % channelCount];
    return out;
  };
  const startUs = nowUs();
  const endUs = startUs + durationMs * 1000;
  const loop = async () => {
    while (nowUs() < endUs) await c.publish(pick(), dataSize);
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return c.finish(startUs);
}

process.on('message', async (msg) => {
  let reply;
  try {
    if (msg.cmd === 'steady') reply = await steady(msg);
    else if (msg.cmd === 'burst') reply = await burst(msg);
    else if (msg.cmd === 'saturate') reply = await saturate(msg);
    else if (msg.cmd === 'exit') process.exit(0);
    else reply = { error: `unknown command ${msg.cmd}` };
  } catch (err) {
    reply = { error: String(err && err.stack ? err.stack : err) };
  }
  process.send({ id: msg.id, ...reply });
});

process.on('disconnect', () => process.exit(0));
