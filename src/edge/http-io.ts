import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Errors, GatewayError, httpAnswerOf, type ErrorKind } from '../protocol/errors.js';

/** Reads a request body up to `limit` bytes; past that it fails with PayloadTooLarge (413). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(new GatewayError(Errors.PayloadTooLarge, `request body larger than ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new GatewayError(Errors.PayloadTooLarge, `request body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError(Errors.BadRequest, 'body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GatewayError(Errors.BadRequest, 'body must be a JSON object');
  return value as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The one place an error becomes an HTTP answer: a real status and a JSON `{error}` body. */
export function sendError(res: ServerResponse, error: unknown, headers: Record<string, string> = {}): number {
  const { status, message } = httpAnswerOf(error);
  sendJson(res, status, { error: message }, headers);
  return status;
}

/**
 * Answers a raw socket (an upgrade nobody takes, a request Node could not parse) with the kind's
 * status and no body, then ends it.
 */
export function endSocketWith(socket: Duplex, kind: ErrorKind & { readonly httpStatus: number }): void {
  socket.end(`HTTP/1.1 ${kind.httpStatus} ${STATUS_CODES[kind.httpStatus] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
