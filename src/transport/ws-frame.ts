/**
 * Builds unmasked server→client WebSocket text frames (RFC 6455 §5.2). Server frames are never
 * masked, so the bytes of one frame can be written unchanged to every subscriber.
 */
export function wsTextFrame(text: string): Buffer {
  const payloadLength = Buffer.byteLength(text);
  let headerLength = 2;
  if (payloadLength >= 65536) headerLength = 10;
  else if (payloadLength >= 126) headerLength = 4;
  const frame = Buffer.allocUnsafe(headerLength + payloadLength);
  frame[0] = 0x81; // FIN + opcode 1 (text)
  if (headerLength === 2) {
    frame[1] = payloadLength;
  } else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(payloadLength, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(payloadLength / 2 ** 32), 2);
    frame.writeUInt32BE(payloadLength >>> 0, 6);
  }
  frame.write(text, headerLength, 'utf8');
  return frame;
}
