import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  readonly headers: IncomingMessage['headers'];
  readonly rawBody: string;
  readonly body: { time_ms: number; events: Array<Record<string, unknown> & { name: string }> };
  readonly at: number;
}

/** How the receiver answers request number `n` (0-based); default 200. */
export type Behaviour = (n: number, req: IncomingMessage, res: ServerResponse) => void;

/** A webhook endpoint on loopback that records every request and lets a test await them. */
export class WebhookReceiver {
  readonly hooks: ReceivedHook[] = [];
  private requests = 0;
  private waiters: Array<() => void> = [];
  private readonly open = new Set<ServerResponse>();

  private constructor(
    readonly server: Server,
    public behaviour: Behaviour,
  ) {}

  static async start(behaviour: Behaviour = (_n, _req, res) => res.end('ok')): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server, behaviour);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString();
        receiver.hooks.push({ headers: req.headers, rawBody, body: JSON.parse(rawBody) as ReceivedHook['body'], at: Date.now() });
        receiver.open.add(res);
        res.on('close', () => receiver.open.delete(res));
        receiver.behaviour(receiver.requests++, req, res);
        for (const wake of receiver.waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Every event received so far, in arrival order. */
  events(): Array<Record<string, unknown> & { name: string }> {
    return this.hooks.flatMap((h) => h.body.events);
  }

  /** Resolves once `pred` holds over what was received; rejects after `timeoutMs`. */
  async until(pred: (r: WebhookReceiver) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`webhook receiver: condition not met; got ${JSON.stringify(this.events())}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
