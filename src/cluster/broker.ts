/**
 * A message for the subscribers of one channel. `data` is forwarded to clients as given (a string for
 * API publishes, any JSON value for client events).
 */
export interface ChannelMessage {
  readonly appId: string;
  readonly channel: string;
  readonly event: string;
  readonly data: unknown;
  /** The connection that must not receive it (the publisher's own socket, `socket_id` exclusion). */
  readonly exceptSocketId?: string | undefined;
  /** Added to the frame for client events on presence channels. */
  readonly userId?: string | undefined;
  /** `epoch:offset` history position, on channels with history. */
  readonly position?: string | undefined;
}

/** Messages addressed to nodes rather than channels, e.g. "close every connection of user X". */
export type ControlMessage =
  | { readonly type: 'terminate-user'; readonly appId: string; readonly userId: string }
  | { readonly type: 'user-status'; readonly appId: string; readonly userId: string; readonly online: boolean }
  /**
   * Never broadcast: the cluster hands it to exactly one surviving node (the one that claimed the
   * dead node), which takes back the dead node's presence and counts and announces the departures.
   * With the node's own id: the cluster declared this node dead while it was only cut off; its
   * clients must reconnect so that their presence is announced again.
   */
  | { readonly type: 'node-gone'; readonly nodeId: string };

export interface BrokerHandler {
  /** A message on a channel this node has declared interest in. */
  deliver(message: ChannelMessage): void;
  control(message: ControlMessage): void;
}

/**
 * Fan-out between nodes.
 *
 * Guarantees:
 * - A published message reaches the handler of every node that holds interest in its channel at the
 *   time the message is processed, this node included, at most once per node.
 * - Messages published by one node on one channel are delivered to each node in publish order.
 * - A node without interest in a channel is not sent that channel's messages. Interest is counted:
 *   every `addInterest` (one per subscription attempt) is matched by one `removeInterest`, and the
 *   node listens while the count is above zero. `addInterest` resolves once messages published from
 *   then on reach this node (or at once while the shared state is unreachable: interest is then
 *   restored on reconnect); it never rejects.
 * - `publish` resolves once the message has been handed to the fan-out path (not when clients
 *   received it); it rejects with `GatewayError(Unavailable)` when the message cannot be handed on.
 */
export interface Broker {
  start(handler: BrokerHandler): Promise<void>;
  publish(message: ChannelMessage): Promise<void>;
  /** Sends a control message to every node, this one included. */
  control(message: ControlMessage): Promise<void>;
  addInterest(appId: string, channel: string): Promise<void>;
  removeInterest(appId: string, channel: string): void;
  close(): Promise<void>;
}
