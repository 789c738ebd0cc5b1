import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EncodedFrame, FrameBatch } from '../protocol/encoded-frame.js';
import { Errors } from '../protocol/errors.js';
import { ServerFrames } from '../protocol/server-frame.js';
import type { Acceptor, Link, LinkListener } from '../seams/link.js';
import { wsTextFrame } from './ws-frame.js';
import { clientAddress, type TrustedProxies } from '../edge/client-address.js';

export interface WsTransportOptions {
  /** Optional prefix before `/app/{key}`, e.g. `/ws`. */
  readonly pathPrefix: string;
  /** Hard cap on one incoming message; larger ones close the socket with 1009 (the `ws` engine's rule). */
  readonly maxMessageBytes: number;
  /** A client whose unsent bytes pass this bound is cut off (4100) so it cannot grow the heap. */
  readonly maxBufferedBytes: number;
  /** Whose `X-Forwarded-For` names the client (config `trustedProxies`). */
  readonly trustedProxies: TrustedProxies;
}


/**
 * Serves Pusher WebSocket connections at `{prefix}/app/{key}` on an existing HTTP server's
 * `upgrade` event, using `ws` for the handshake, parsing and control frames. Outgoing frames are
 * pre-built and written straight to the TCP socket so a frame shared by many subscribers is framed
 * once; permessage-deflate is off, which keeps `ws`'s own writes (pongs, close) synchronous and in
 * order with ours.
 */
export class WsTransport {
  private readonly wss: WebSocketServer;
  private readonly pathPattern: RegExp;

  constructor(
    private readonly acceptor: Acceptor,
    private readonly options: WsTransportOptions,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: options.maxMessageBytes,
    });
    const prefix = options.pathPrefix.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.pathPattern = new RegExp(`^${prefix}/app/([^/?]+)$`);
  }

  /** Returns false when the path is not ours, leaving the upgrade to someone else. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = this.pathPattern.exec(url.pathname);
    if (!match) return false;
    const remoteAddress = clientAddress(req, this.options.trustedProxies);
    const admission = this.acceptor.admit({
      appKey: decodeURIComponent(match[1] ?? ''),
      protocol: url.searchParams.get('protocol'),
      origin: req.headers.origin,
      remoteAddress,
      kind: 'ws',
    });
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (!admission.ok) {
        // Pusher clients learn why only from a pusher:error and the close code, so complete the
        // handshake first and then refuse.
        ws.send(ServerFrames.error(admission.message, admission.kind.wsCode));
        ws.close(admission.kind.wsCode, admission.message.slice(0, 120));
        return;
      }
      const link = new WsLink(ws, remoteAddress, this.options.maxBufferedBytes);
      link.attach(admission.open(link));
    });
    return true;
  }

  /** Stops accepting; existing links are closed by core. */
  close(): void {
    this.wss.close();
  }
}

class WsLink implements Link {
  readonly kind = 'ws';
  private readonly socket: Socket;
  private listener: LinkListener | undefined;
  private closedCode: number | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
    private readonly maxBufferedBytes: number,
  ) {
    // `ws` keeps the raw socket private; writing to it directly is what lets one pre-built frame
    // go to many sockets (socket.io writes pre-built frames through `ws` the same way).
    this.socket = (ws as unknown as { _socket: Socket })._socket;
  }

  attach(listener: LinkListener): void {
    this.listener = listener;
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (this.closedCode !== undefined) return;
      listener.message(isBinary ? '' : data.toString('utf8'));
    });
    this.ws.on('close', (code: number) => this.finish(this.closedCode ?? code));
    this.ws.on('error', () => {
      // A protocol violation by the client (bad frame, oversized message): `ws` closes the socket
      // and emits 'close' next, which is where we clean up.
    });
  }

  send(frame: EncodedFrame): void {
    this.write((frame.wire ??= wsTextFrame(frame.text)));
  }

  sendBatch(batch: FrameBatch): void {
    if (batch.wire === undefined) {
      const parts = batch.frames.map((f) => (f.wire ??= wsTextFrame(f.text)));
      batch.wire = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    }
    this.write(batch.wire as Buffer);
  }

  close(code: number, reason: string): void {
    if (this.closedCode !== undefined) return;
    this.closedCode = code;
    this.ws.close(code, reason.slice(0, 120));
  }

  private write(bytes: Buffer): void {
    if (this.closedCode !== undefined) return;
    if (this.socket.writableLength > this.maxBufferedBytes) {
      // The client stopped reading. A close frame would sit behind the backlog, so drop the socket.
      this.closedCode = Errors.SlowConsumer.wsCode;
      this.ws.terminate();
      return;
    }
    this.socket.write(bytes);
  }

  private finish(code: number): void {
    const listener = this.listener;
    this.listener = undefined;
    listener?.closed(code);
  }
}
