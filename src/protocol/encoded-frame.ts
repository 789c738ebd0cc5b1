/**
 * A server→client frame encoded once. The JSON text is built by the protocol layer; a transport may
 * cache its own wire form (a WebSocket frame's bytes) on the object so that a frame delivered to many
 * subscribers is framed once, not once per subscriber.
 */
export class EncodedFrame {
  /** Transport-owned cache of the wire bytes; set on first use by the transport. */
  wire: Buffer | undefined = undefined;
  constructor(readonly text: string) {}
}

/**
 * The frames of one channel produced in one event-loop turn, delivered to each subscriber as one
 * write. `wire` caches the concatenated wire bytes, built once for all subscribers.
 */
export class FrameBatch {
  wire: Buffer | undefined = undefined;
  constructor(readonly frames: readonly EncodedFrame[]) {}
}
