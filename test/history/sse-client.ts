import { request, type IncomingMessage, type ClientRequest } from 'node:http';

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** A minimal EventSource-style reader for protocol tests: records events and comments, no reconnect. */
export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  /** Everything received, as text. */
  raw = '';
  /** The `id` EventSource would send as Last-Event-ID. */
  lastEventId: string | undefined;
  readonly ended: Promise<void>;
  private buffer = '';
  private waiters: Array<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }> = [];
  private commentWaiters: Array<() => void> = [];
  private cursor = 0;

  private constructor(
    readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.raw += chunk;
      this.feed(chunk);
    });
    this.ended = new Promise((resolve) => res.on('close', () => resolve()));
  }

  /** Opens a stream; resolves once the response headers are in (any status). */
  static open(port: number, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } }, (res) => resolve(new SseClient(req, res)));
      req.on('error', reject);
      req.end();
    });
  }

  /** The whole body of a refused request. */
  static async refused(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { error?: string } }> {
    const client = await SseClient.open(port, path, headers);
    await client.ended;
    return { status: client.res.statusCode ?? 0, body: JSON.parse(client.raw || '{}') as { error?: string } };
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      let comment = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comment = true;
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (id !== undefined) this.lastEventId = id;
      if (data.length === 0) {
        if (comment) {
          this.comments++;
          for (const wake of this.commentWaiters.splice(0)) wake();
        }
        continue;
      }
      const e = { id, event, data: data.join('\n') };
      this.events.push(e);
      for (const w of [...this.waiters]) {
        if (w.match(e)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    }
  }

  /** The first event after the last one consumed that matches. */
  next(match: string | ((e: SseEvent) => boolean), timeoutMs = 15_000): Promise<SseEvent> {
    const pred = typeof match === 'string' ? (e: SseEvent) => e.event === match : match;
    for (let i = this.cursor; i < this.events.length; i++) {
      const e = this.events[i] as SseEvent;
      if (pred(e)) {
        this.cursor = i + 1;
        return Promise.resolve(e);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(this.events.slice(-4))}`)), timeoutMs);
      this.waiters.push({
        match: pred,
        resolve: (e) => {
          clearTimeout(timer);
          this.cursor = this.events.length;
          resolve(e);
        },
      });
    });
  }

  /** Resolves at the next `:` comment (heartbeat). */
  nextComment(timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no heartbeat')), timeoutMs);
      this.commentWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Channel events (`message`), parsed: {event, channel, data, position}. */
  messages(): Array<{ event: string; channel: string; data: unknown; position?: string }> {
    return this.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as { event: string; channel: string; data: unknown; position?: string });
  }

  close(): void {
    this.req.destroy();
  }
}
