import WebSocket from 'ws';

export interface Frame {
  event: string;
  channel?: string;
  data?: unknown;
  [k: string]: unknown;
}

/**
 * A bare WebSocket client for protocol tests: records every frame and lets a test await the next
 * frame that matches, or the close.
 */
export class RawClient {
  readonly frames: Frame[] = [];
  private waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private cursor = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (typeof frame.data === 'string') {
        try {
          frame.data = JSON.parse(frame.data);
        } catch {
          // Channel events may carry plain strings.
        }
      }
      this.frames.push(frame);
      for (const w of [...this.waiters]) {
        if (w.match(frame)) {
          clearTimeout(w.timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
  }

  static async connect(port: number, opts: { key?: string; query?: string; origin?: string; path?: string } = {}): Promise<RawClient> {
    const query = opts.query ?? 'protocol=7&client=js&version=8.6.0&flash=false';
    const path = opts.path ?? `/app/${opts.key ?? 'app-key'}`;
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}?${query}`, opts.origin ? { origin: opts.origin } : {});
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Connects and waits for connection_established; returns the client and its socket id. */
  static async established(port: number, opts: Parameters<typeof RawClient.connect>[1] = {}): Promise<{ client: RawClient; socketId: string }> {
    const client = await RawClient.connect(port, opts);
    const frame = await client.next('pusher:connection_established');
    return { client, socketId: (frame.data as { socket_id: string }).socket_id };
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first frame (already received or future) matching, after the last one consumed. */
  next(match: string | ((f: Frame) => boolean), timeoutMs = 5000): Promise<Frame> {
    const pred = typeof match === 'string' ? (f: Frame) => f.event === match : match;
    for (let i = this.cursor; i < this.frames.length; i++) {
      const f = this.frames[i] as Frame;
      if (pred(f)) {
        this.cursor = i + 1;
        return Promise.resolve(f);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${typeof match === 'string' ? match : 'frame'}; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs);
      this.waiters.push({
        match: pred,
        resolve: (f) => {
          this.cursor = this.frames.length;
          resolve(f);
        },
        reject,
        timer,
      });
    });
  }

  async subscribe(channel: string, extra: Record<string, unknown> = {}): Promise<Frame> {
    this.send({ event: 'pusher:subscribe', data: { channel, auth: '', ...extra } });
    return this.next((f) => f.channel === channel && (f.event === 'pusher_internal:subscription_succeeded' || f.event === 'pusher:subscription_error'));
  }

  close(): void {
    this.ws.close();
  }
}
