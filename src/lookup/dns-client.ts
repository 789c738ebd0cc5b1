// Asks one of a TLD's authoritative servers whether a name is delegated: an NS query without recursion over
// UDP (retried with a fresh transaction id), switching to TCP when the answer is truncated.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { randomInt } from 'node:crypto';
import {
  decodeMessage,
  encodeQuery,
  type DnsMessage,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  TYPE_NS,
} from './dns-wire.js';
import { DeadlineError, failureProbe, startAttempt, type Probe } from './attempt.js';
import type { Deadlines, DnsServer } from './types.js';

export interface DnsQueryOptions {
  deadlines: Deadlines;
  /** UDP tries against this server, each with a new transaction id, each waiting `deadlines.idleMs`. */
  udpTries: number;
  signal?: AbortSignal;
}

const MAX_TCP_MESSAGE = 65535;
const hostCache = new Map<string, Promise<string>>();

/** Server host names come from the shipped data; resolve them once per process through the system resolver. */
function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return Promise.resolve(host);
  let p = hostCache.get(host);
  if (!p) {
    // Prefer IPv4: UDP has no happy-eyeballs fallback, and a broken IPv6 path would cost every query its
    // full timeout (TCP clients get Node 20's autoSelectFamily instead).
    p = lookup(host, { all: true }).then((list) => {
      const pick = list.find((a) => a.family === 4) ?? list[0];
      if (!pick) throw new Error(`no address for ${host}`);
      return pick.address;
    });
    // A failed resolution must not poison the cache for the whole process.
    p.catch(() => hostCache.delete(host));
    hostCache.set(host, p);
  }
  return p;
}

function matches(msg: DnsMessage, id: number, name: string): boolean {
  const q = msg.questions[0];
  return msg.qr && msg.id === id && msg.questions.length === 1 && q !== undefined && q.name === name && q.type === TYPE_NS;
}

/** Sends one UDP query; resolves with the first matching response, null when `waitMs` passes without one.
 *  Responses with the wrong id, question or source are ignored (spoofing / stale answers), not fatal. */
function udpTry(ip: string, port: number, name: string, waitMs: number, signal: AbortSignal): Promise<DnsMessage | null> {
  return new Promise((resolve, reject) => {
    const id = randomInt(0, 0x10000);
    const sock: UdpSocket = createSocket(isIP(ip) === 6 ? 'udp6' : 'udp4');
    let settled = false;
    const finish = (err: unknown, msg: DnsMessage | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.close();
      if (err) reject(err);
      else resolve(msg);
    };
    const onAbort = (): void => finish(signal.reason, null);
    const timer = setTimeout(() => finish(null, null), waitMs);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (err) => finish(err, null));
    sock.on('message', (buf, rinfo) => {
      if (rinfo.address !== ip || rinfo.port !== port) return;
      let msg: DnsMessage;
      try {
        msg = decodeMessage(buf);
      } catch {
        return; // garbage datagram: keep waiting for a well-formed one until the timer fires
      }
      if (matches(msg, id, name)) finish(null, msg);
    });
    sock.send(encodeQuery(id, name), port, ip, (err) => {
      if (err) finish(err, null);
    });
  });
}

/** One query over TCP (RFC 7766 two-byte length framing), used after a truncated UDP answer. */
function tcpQuery(ip: string, port: number, name: string, d: Deadlines, signal: AbortSignal): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const id = randomInt(0, 0x10000);
    const q = encodeQuery(id, name);
    const frame = Buffer.alloc(2 + q.length);
    frame.writeUInt16BE(q.length, 0);
    q.copy(frame, 2);
    const sock = connect({ host: ip, port, signal });
    const chunks: Buffer[] = [];
    let got = 0;
    const connectTimer = setTimeout(() => sock.destroy(new DeadlineError('connect')), d.connectMs);
    sock.once('connect', () => {
      clearTimeout(connectTimer);
      sock.setTimeout(d.idleMs, () => sock.destroy(new DeadlineError('idle')));
      sock.write(frame);
    });
    sock.on('data', (b: Buffer) => {
      chunks.push(b);
      got += b.length;
      if (got > MAX_TCP_MESSAGE + 2) sock.destroy(new Error('oversized tcp answer'));
      const all = Buffer.concat(chunks);
      if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) {
        clearTimeout(connectTimer);
        sock.destroy();
        try {
          const msg = decodeMessage(all.subarray(2, 2 + all.readUInt16BE(0)));
          if (!matches(msg, id, name)) reject(new Error('mismatched tcp answer'));
          else resolve(msg);
        } catch (err) {
          reject(err);
        }
      }
    });
    sock.on('error', (err) => {
      clearTimeout(connectTimer);
      reject(err);
    });
    sock.on('close', () => {
      clearTimeout(connectTimer);
      reject(new Error('tcp closed before answer'));
    });
  });
}

/** Reads a response: a referral (NS for exactly this name) is proof of delegation; NXDOMAIN is not proof of
 *  anything (registered names can be undelegated), so it is only inconclusive. */
export function interpret(msg: DnsMessage, name: string, server: string): Probe {
  if (msg.rcode === RCODE_NXDOMAIN) return { method: 'dns', server, outcome: 'inconclusive', detail: 'nxdomain' };
  if (msg.rcode !== RCODE_NOERROR) return { method: 'dns', server, outcome: 'error', detail: `rcode-${msg.rcode}` };
  const ns = [...msg.answers, ...msg.authorities].filter((r) => r.type === TYPE_NS && r.name === name);
  if (ns.length > 0) {
    const targets = ns.map((r) => r.target ?? '?').join(' ');
    return { method: 'dns', server, outcome: 'registered', detail: 'referral', text: `NS ${targets}` };
  }
  // NS records for a parent (e.g. `co.uk` when asking `example.co.uk`) say nothing about this name.
  return { method: 'dns', server, outcome: 'inconclusive', detail: msg.authorities.some((r) => r.type === TYPE_NS) ? 'ancestor-referral' : 'nodata' };
}

/**
 * Asks `server` for NS records of `name` (lower-case ASCII). Never throws: failures come back as probes with
 * outcome `timeout` or `error`. Bounded by `deadlines.totalMs` in all (UDP tries + TCP fallback).
 */
export async function queryDelegation(name: string, server: DnsServer, opts: DnsQueryOptions): Promise<Probe> {
  const port = server.port ?? 53;
  const label = `${server.host}:${port}`;
  const attempt = startAttempt(opts.signal, opts.deadlines.totalMs);
  try {
    const ip = await resolveHost(server.host);
    for (let i = 0; i < Math.max(1, opts.udpTries); i++) {
      const msg = await udpTry(ip, port, name, opts.deadlines.idleMs, attempt.signal);
      if (msg === null) continue;
      if (msg.tc) {
        const full = await tcpQuery(ip, port, name, opts.deadlines, attempt.signal);
        const p = interpret(full, name, label);
        return { ...p, detail: `${p.detail} (tcp)` };
      }
      return interpret(msg, name, label);
    }
    return { method: 'dns', server: label, outcome: 'timeout', detail: 'no-udp-answer' };
  } catch (err) {
    return failureProbe('dns', label, attempt.signal.aborted ? attempt.signal.reason : err);
  } finally {
    attempt.done();
  }
}
