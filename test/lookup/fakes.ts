// Fake WHOIS, RDAP and DNS servers on 127.0.0.1 for the lookup tests. Each counts what it sees (queries,
// concurrent connections) so tests can assert on server-side behaviour rather than trust the client.
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server as HttpServer } from 'node:http';
import { createSocket, type RemoteInfo } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { decodeMessage, encodeMessage, type DnsMessage } from '../../src/lookup/dns-wire.js';

export interface Counted {
  port: number;
  /** Every query line / request path / DNS question seen, in arrival order. */
  seen: string[];
  active: number;
  peak: number;
  close(): Promise<void>;
}

/** WHOIS: `handler` gets the query line (without CRLF) and the socket, and must end or destroy it itself. */
export async function fakeWhois(handler: (query: string, sock: Socket) => void): Promise<Counted> {
  const sockets = new Set<Socket>();
  const state: Counted = { port: 0, seen: [], active: 0, peak: 0, close: async (): Promise<void> => undefined };
  const server: TcpServer = createTcpServer((sock) => {
    sockets.add(sock);
    state.active++;
    state.peak = Math.max(state.peak, state.active);
    let buf = '';
    let answered = false;
    sock.on('error', () => undefined);
    sock.on('close', () => {
      state.active--;
      sockets.delete(sock);
    });
    sock.on('data', (b) => {
      buf += b.toString('utf8');
      const i = buf.indexOf('\r\n');
      if (i >= 0 && !answered) {
        answered = true;
        const q = buf.slice(0, i);
        state.seen.push(q);
        handler(q, sock);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return state;
}

/** RDAP over plain HTTP. */
export async function fakeHttp(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Counted & { url: string }> {
  const state = { port: 0, url: '', seen: [] as string[], active: 0, peak: 0, close: async (): Promise<void> => undefined };
  const server: HttpServer = createHttpServer((req, res) => {
    state.active++;
    state.peak = Math.max(state.peak, state.active);
    state.seen.push(req.url ?? '');
    res.on('close', () => state.active--);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}/`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/rdap+json', ...headers });
  res.end(JSON.stringify(body));
}

/** DNS over UDP and TCP on the same port. The handler returns the reply message, or null to stay silent. */
export async function fakeDns(
  handler: (q: DnsMessage, via: 'udp' | 'tcp', n: number) => Partial<DnsMessage> | Buffer | Buffer[] | null,
): Promise<Counted & { ids: number[]; tcpQueries: number }> {
  const state = { port: 0, seen: [] as string[], ids: [] as number[], tcpQueries: 0, active: 0, peak: 0, close: async (): Promise<void> => undefined };
  let n = 0;
  const answer = (buf: Buffer, via: 'udp' | 'tcp'): Buffer | Buffer[] | null => {
    const q = decodeMessage(buf);
    state.seen.push(q.questions[0]?.name ?? '');
    state.ids.push(q.id);
    const r = handler(q, via, n++);
    if (r === null) return null;
    if (Buffer.isBuffer(r) || Array.isArray(r)) return r;
    return encodeMessage({ id: q.id, qr: true, questions: q.questions, ...r });
  };
  const sockets = new Set<Socket>();
  const tcp = createTcpServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    sock.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        state.tcpQueries++;
        const reply = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)), 'tcp');
        const out = Array.isArray(reply) ? reply[reply.length - 1] : reply;
        if (out) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          sock.end(Buffer.concat([len, out]));
        } else sock.destroy();
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  state.port = (tcp.address() as AddressInfo).port;
  // The UDP side must share the TCP port; if another test holds it for UDP, start over on a new port.
  const udp = createSocket('udp4');
  try {
    await new Promise<void>((r, j) => {
      udp.once('error', j);
      udp.bind(state.port, '127.0.0.1', () => r());
    });
  } catch {
    udp.close();
    await new Promise<void>((r) => tcp.close(() => r()));
    return fakeDns(handler);
  }
  udp.on('message', (buf: Buffer, rinfo: RemoteInfo) => {
    const out = answer(buf, 'udp');
    // Several datagrams in one reply let a test send a forged answer ahead of the real one.
    for (const b of out === null ? [] : Array.isArray(out) ? out : [out]) udp.send(b, rinfo.port, rinfo.address);
  });
  state.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      udp.close();
      tcp.close(() => r());
    });
  return state;
}

/** Resolves when `cond()` holds, polling on a short timer; rejects after `ms`. For server-side counters. */
export async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
