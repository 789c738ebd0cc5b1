/**
 * What core reports as it happens, for webhooks, metrics and the debug console. Every method is
 * optional and must not throw or block: implementations queue their own work.
 *
 * Cluster-wide transitions (`channelOccupied`, `memberAdded`, `userOnline`, …) are reported by exactly
 * one node: the one whose change made the transition.
 */
export interface CoreObserver {
  connectionOpened?(e: { appId: string; socketId: string; transport: string }): void;
  connectionClosed?(e: { appId: string; socketId: string; transport: string; userId?: string | undefined; code: number; durationMs: number }): void;
  subscribed?(e: { appId: string; channel: string; socketId: string }): void;
  unsubscribed?(e: { appId: string; channel: string; socketId: string }): void;
  /** `kind`: the catalogue id of the refusal (docs/errors.md). */
  subscriptionRejected?(e: { appId: string; channel: string; socketId: string; kind: string; reason: string }): void;
  channelOccupied?(e: { appId: string; channel: string }): void;
  channelVacated?(e: { appId: string; channel: string }): void;
  subscriptionCount?(e: { appId: string; channel: string; count: number }): void;
  memberAdded?(e: { appId: string; channel: string; userId: string }): void;
  memberRemoved?(e: { appId: string; channel: string; userId: string }): void;
  clientEvent?(e: { appId: string; channel: string; event: string; data: unknown; socketId: string; userId?: string | undefined }): void;
  cacheMiss?(e: { appId: string; channel: string }): void;
  userOnline?(e: { appId: string; userId: string }): void;
  userOffline?(e: { appId: string; userId: string }): void;
  /** One event published by the application to `channels` (once per publish, not per channel); `bytes` is the data's size. */
  published?(e: { appId: string; channels: readonly string[]; event: string; bytes: number; data: string }): void;
  error?(e: { appId: string; socketId?: string; code: string; message: string }): void;
  /** One frame arrived from a client (before validation); `bytes` is its UTF-8 size. */
  messageReceived?(e: { appId: string; socketId: string; bytes: number }): void;
  /**
   * This node wrote one channel's batch of `messages` frames to its `recipients` local subscribers:
   * `deliveries` frames in all (fewer than messages × recipients when a sender was excluded), about
   * `bytes` on the wire. Called once per channel per flush, never per recipient, so it stays off the
   * per-delivery path.
   */
  delivered?(e: { appId: string; channel: string; messages: number; recipients: number; deliveries: number; bytes: number }): void;
}

/** Fans one report out to several observers. */
export function combineObservers(observers: readonly CoreObserver[]): CoreObserver {
  const combined: CoreObserver = {};
  const keys = new Set(observers.flatMap(methodNames)) as Set<keyof CoreObserver>;
  for (const key of keys) {
    const fns = observers.map((o) => (typeof o[key] === 'function' ? o[key].bind(o) : undefined)).filter((f) => f !== undefined) as Array<(e: unknown) => void>;
    (combined as Record<string, (e: unknown) => void>)[key] = (e: unknown) => {
      for (const fn of fns) fn(e);
    };
  }
  return combined;
}

/** Function-valued keys of an observer, own or inherited: class instances keep their methods on the prototype. */
function methodNames(o: object): string[] {
  const names: string[] = [];
  for (let p: object | null = o; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name !== 'constructor' && typeof (o as Record<string, unknown>)[name] === 'function') names.push(name);
    }
  }
  return names;
}
