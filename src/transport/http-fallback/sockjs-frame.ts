import type { EncodedFrame, FrameBatch } from '../../protocol/encoded-frame.js';

/**
 * The SockJS-style framing pusher-js's HTTP transports read: one frame per line, the first character
 * naming it. `o` opens the session, `a[…]` carries Pusher frames as JSON strings, `h` is a heartbeat,
 * `c[code,"reason"]` closes with a WebSocket-style close code.
 */
export const OPEN_LINE = 'o\n';
export const HEARTBEAT_LINE = 'h\n';

/**
 * Sent before `o` on a new stream. Some proxies and old browsers hold back the first kilobytes of a
 * response; a 2 KiB line of `h` pushes the real frames through. pusher-js ignores heartbeats before
 * the session is open, so it costs no request.
 */
export const STREAM_PRELUDE = `${'h'.repeat(2048)}\n`;

export function closeLine(code: number, reason: string): string {
  return `c${JSON.stringify([code, reason])}\n`;
}

/** `a[…]` line for message bodies already joined with commas (see `messageBody`). */
export function arrayLine(body: string): string {
  return `a[${body}]\n`;
}

// The encoded frames and batches are shared by every subscriber of a channel, and their own `wire`
// field belongs to the WebSocket transport, so the HTTP form is cached beside them instead: a frame
// sent to many fallback sessions is quoted once, not once per session.
const bodies = new WeakMap<EncodedFrame | FrameBatch, string>();
const lines = new WeakMap<EncodedFrame | FrameBatch, Buffer>();

/** The frames as comma-separated JSON strings, the inside of an `a[…]` line. */
export function messageBody(item: EncodedFrame | FrameBatch): string {
  let body = bodies.get(item);
  if (body === undefined) {
    body = 'frames' in item ? item.frames.map(messageBody).join(',') : JSON.stringify(item.text);
    bodies.set(item, body);
  }
  return body;
}

/** The complete `a[…]\n` line as bytes, for writing to an open stream. */
export function messageLine(item: EncodedFrame | FrameBatch): Buffer {
  let line = lines.get(item);
  if (line === undefined) {
    line = Buffer.from(arrayLine(messageBody(item)));
    lines.set(item, line);
  }
  return line;
}
