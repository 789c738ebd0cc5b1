import type { ChannelMessage, ControlMessage } from './broker.js';

/**
 * One end of the in-host channel between a worker and the primary that keeps the host's shared
 * state. `process` (in a worker) and `cluster.Worker` / `ChildProcess` (in the primary) have this
 * shape: Node's IPC pipe, ordered and reliable while connected.
 */
export interface HostPort {
  send(message: HostMessage): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'disconnect', listener: () => void): unknown;
}

/** Calls a worker makes on the primary's state; one per store method (`presence.join`, …). */
export type HostOp =
  | 'channels.adjust'
  | 'channels.count'
  | 'channels.list'
  | 'channels.forgetNode'
  | 'presence.join'
  | 'presence.leave'
  | 'presence.members'
  | 'presence.memberCount'
  | 'presence.present'
  | 'presence.forgetNode'
  | 'cache.set'
  | 'cache.get'
  | 'history.append'
  | 'history.since'
  | 'history.latest'
  | 'history.tip'
  | 'broker.publish'
  | 'broker.control'
  | 'broker.interest';

/**
 * The wire between worker and primary. Every message carries `sb` so the primary can tell ours
 * from anything else on the IPC channel (Node's cluster module sends its own internal messages).
 * Both ends use Node's 'advanced' (structured clone) IPC serialization, which keeps `undefined`
 * (a member's absent user_info) apart from `null`; Maps and Sets still travel as arrays.
 */
export type HostMessage =
  | { readonly sb: 'hello'; readonly nodeId: string }
  | { readonly sb: 'call'; readonly id: number; readonly op: HostOp; readonly args: readonly unknown[] }
  | { readonly sb: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: string }
  | { readonly sb: 'deliver'; readonly message: ChannelMessage }
  /** Worker → primary: this worker's connections per app, those that changed since its last report. */
  | { readonly sb: 'tally'; readonly counts: ReadonlyArray<readonly [string, number]> }
  /** Primary → worker: the other workers' connections per app (apps with none left out), and how many workers. */
  | { readonly sb: 'tallies'; readonly elsewhere: ReadonlyArray<readonly [string, number]>; readonly nodes: number }
  | { readonly sb: 'control'; readonly message: ControlMessage };

export function isHostMessage(value: unknown): value is HostMessage {
  return typeof value === 'object' && value !== null && typeof (value as { sb?: unknown }).sb === 'string';
}
