// A deliberately small WebSocket client over a raw TCP socket (RFC 6455, client side only).
//
// Why not a WebSocket library: a full client object per connection (event emitters, per-message
// Buffer/string allocations, UTF-8 validation) costs more CPU than the servers under test spend per
// delivery, so the load generator would be measured instead of the server. Here each connection is a
// net.Socket plus a few fields; frames are parsed in place from the chunk the kernel handed us and the
// payload is passed to the caller as (buffer, start, end) without copying.
//
// Supported: the HTTP/1.1 upgrade handshake (with Sec-WebSocket-Accept check), unmasked server frames
// of any length (7/16/64-bit lengths), masked client frames, ping → pong, close. Not supported (the
// servers under test never send them for small messages): fragmented messages are delivered fragment
// by fragment, and permessage-deflate is never offered.

import net from 'node:net';
import crypto from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEADER_END = Buffer.from('\r\n\r\n');
const READ_BUFFER = Buffer.alloc(256 * 1024);

export const OP_CONT = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** Microseconds on CLOCK_MONOTONIC: comparable between processes on the same machine. */
export function nowUs() {
  const t = process.hrtime();
  return t[0] * 1e6 + Math.floor(t[1] / 1000);
}

/** Build one masked client frame. */
export function encodeClientFrame(opcode, payload) {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = data.length;
  let headerLen = 2 + 4;
  if (len >= 126 && len < 65536) headerLen += 2;
  else if (len >= 65536) headerLen += 8;
  const frame = Buffer.allocUnsafe(headerLen + len);
  frame[0] = 0x80 | opcode;
  let off = 2;
  if (len < 126) {
    frame[1] = 0x80 | len;
  } else if (len < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
    off = 4;
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
    off = 10;
  }
  const mask = crypto.randomBytes(4);
  mask.copy(frame, off);
  off += 4;
  for (let i = 0; i < len; i++) frame[off + i] = data[i] ^ mask[i & 3];
  return frame;
}

/**
 * One client connection. `handler` receives:
 *   onOpen(conn)                               after a valid 101 response
 *   onMessage(conn, buf, start, end, recvUs)   for every text/binary/continuation frame
 *   onClose(conn, reason)                      once, when the socket is gone
 * `recvUs` is taken once per TCP chunk, so all frames of a chunk share it (cheap, and exact enough).
 */
export class RawWs {
  constructor(handler, state) {
    this.handler = handler;
    this.state = state; // free slot for the protocol adapter
    this.socket = null;
    this.open = false;
    this.closed = false;
    this.pending = null; // bytes of an incomplete frame (or of the handshake) carried to the next chunk
    this.expectAccept = '';
  }

  connect({ host = '127.0.0.1', port, path, headers = {} }) {
    const key = crypto.randomBytes(16).toString('base64');
    this.expectAccept = crypto.createHash('sha1').update(key + GUID).digest('base64');
    // `onread` reads straight into one process-wide buffer: no Buffer allocation and no stream
    // machinery per chunk. Frames are parsed synchronously and leftovers copied, so sharing is safe.
    const socket = net.connect({
      host,
      port,
      onread: { buffer: READ_BUFFER, callback: (nread, buf) => this.onData(buf.subarray(0, nread)) },
    });
    this.socket = socket;
    socket.setNoDelay(true);
    let extra = '';
    for (const [k, v] of Object.entries(headers)) extra += `${k}: ${v}\r\n`;
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
    });
    socket.on('error', (err) => this.finish(`error: ${err.code || err.message}`));
    socket.on('close', () => this.finish('socket closed'));
    return this;
  }

  onData(chunk) {
    if (this.closed) return;
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    if (!this.open) {
      const end = buf.indexOf(HEADER_END);
      if (end === -1) {
        if (buf.length > 16384) return this.fail('handshake response too large');
        this.pending = Buffer.from(buf); // copy: `buf` may be the shared read buffer
        return;
      }
      const head = buf.toString('latin1', 0, end);
      if (!/^HTTP\/1\.1 101/.test(head)) return this.fail(`handshake refused: ${head.split('\r\n')[0]}`);
      const m = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head);
      if (!m || m[1] !== this.expectAccept) return this.fail('bad Sec-WebSocket-Accept');
      this.open = true;
      this.handler.onOpen(this);
      if (end + 4 === buf.length) return;
      buf = buf.subarray(end + 4);
    }
    this.parseFrames(buf, nowUs());
  }

  parseFrames(buf, recvUs) {
    const n = buf.length;
    let i = 0;
    while (i + 2 <= n) {
      const b0 = buf[i];
      const b1 = buf[i + 1];
      let len = b1 & 0x7f;
      let p = i + 2;
      if (len === 126) {
        if (p + 2 > n) break;
        len = (buf[p] << 8) | buf[p + 1];
        p += 2;
      } else if (len === 127) {
        if (p + 8 > n) break;
        len = buf.readUInt32BE(p) * 4294967296 + buf.readUInt32BE(p + 4);
        p += 8;
      }
      let maskAt = -1;
      if (b1 & 0x80) {
        // Servers must not mask; tolerate it anyway.
        maskAt = p;
        p += 4;
      }
      const end = p + len;
      if (end > n) break;
      if (maskAt !== -1) for (let k = 0; k < len; k++) buf[p + k] ^= buf[maskAt + (k & 3)];
      const op = b0 & 0x0f;
      if (op === OP_TEXT || op === OP_BINARY || op === OP_CONT) {
        this.handler.onMessage(this, buf, p, end, recvUs);
      } else if (op === OP_PING) {
        this.sendFrame(OP_PONG, Buffer.from(buf.subarray(p, end)));
      } else if (op === OP_CLOSE) {
        const code = len >= 2 ? buf.readUInt16BE(p) : 1005;
        const reason = len > 2 ? buf.toString('utf8', p + 2, end) : '';
        return this.fail(`server closed ${code} ${reason}`.trim());
      }
      i = end;
      if (this.closed) return;
    }
    if (i < n) this.pending = Buffer.from(buf.subarray(i)); // copy: the chunk may be reused
  }

  send(text) {
    this.sendFrame(OP_TEXT, text);
  }

  sendFrame(opcode, payload) {
    if (this.closed) return;
    this.socket.write(encodeClientFrame(opcode, payload));
  }

  fail(reason) {
    if (this.socket) this.socket.destroy();
    this.finish(reason);
  }

  /** Tear down with a TCP RST: no TIME_WAIT left on either side, so the ephemeral ports stay free. */
  reset() {
    if (this.closed) return;
    if (typeof this.socket.resetAndDestroy === 'function') this.socket.resetAndDestroy();
    else this.socket.destroy();
    this.finish('reset by client');
  }

  finish(reason) {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.handler.onClose(this, reason);
  }
}
