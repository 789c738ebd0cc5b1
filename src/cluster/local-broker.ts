import type { Broker, BrokerHandler, ChannelMessage, ControlMessage } from './broker.js';

/** The single-node broker: hands every message straight to this node's handler. */
export class LocalBroker implements Broker {
  private handler: BrokerHandler | undefined;

  async start(handler: BrokerHandler): Promise<void> {
    this.handler = handler;
  }

  async publish(message: ChannelMessage): Promise<void> {
    this.handler?.deliver(message);
  }

  async control(message: ControlMessage): Promise<void> {
    this.handler?.control(message);
  }

  async addInterest(): Promise<void> {
    // One node: every message is local, interest needs no bookkeeping.
  }

  removeInterest(): void {
    // See addInterest.
  }

  async close(): Promise<void> {
    this.handler = undefined;
  }
}
