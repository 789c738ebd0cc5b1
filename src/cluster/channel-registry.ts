/** A channel whose last subscriptions disappeared with a dead node. */
export interface VacatedChannel {
  readonly appId: string;
  readonly channel: string;
}

/**
 * Cluster-wide subscription counts per channel, for the HTTP API's channel queries and
 * `subscription_count` events.
 *
 * Guarantees: `adjust` calls from one node are applied in order; a count never goes below zero; a
 * channel whose count reaches zero is no longer listed. Counts contributed by a node that is gone
 * are removed once the cluster notices (see `forgetNode`).
 */
export interface ChannelRegistry {
  /**
   * This node's subscriptions of `channel` changed by `delta` (+1 / -1). Resolves with the
   * cluster-wide count right after this change, so exactly one caller sees 1 after +1 (the channel
   * became occupied) and exactly one sees 0 after -1 (vacated). A -1 with nothing of this node's
   * left to take back (its share was already forgotten) changes nothing and resolves with -1.
   */
  adjust(appId: string, channel: string, delta: number): Promise<number>;
  /** Subscriptions of one channel across the cluster (0 when unoccupied). */
  count(appId: string, channel: string): Promise<number>;
  /** Occupied channels whose name starts with `prefix`, with their subscription counts. */
  list(appId: string, prefix: string): Promise<Map<string, number>>;
  /**
   * Drops every count a dead node contributed; resolves with the channels this left unoccupied.
   * Idempotent: forgetting a node twice vacates nothing the second time.
   */
  forgetNode(nodeId: string): Promise<VacatedChannel[]>;
  close(): Promise<void>;
}
