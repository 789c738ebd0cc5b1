import { EncodedFrame, FrameBatch } from '../protocol/encoded-frame.js';
import { ServerFrames } from '../protocol/server-frame.js';
import type { ChannelMessage } from '../cluster/broker.js';
import { parsePosition } from '../cluster/history-store.js';
import type { Connection } from './connection.js';
import type { CoreObserver } from './observer.js';

/** A frame waiting for this turn's flush (or held for a resuming subscriber). */
export interface PendingFrame {
  readonly frame: EncodedFrame;
  readonly exceptSocketId: string | undefined;
  /** History offset, on channels with history. */
  readonly offset: number | undefined;
}

class LocalChannel {
  readonly subscribers = new Set<Connection>();
  pending: PendingFrame[] = [];
  hasExclusions = false;
  /** Subscribers whose live frames are held while their missed events are replayed. */
  holders = 0;
  constructor(
    readonly appId: string,
    readonly name: string,
  ) {}
}

/**
 * This node's channel index and fan-out. Each message is encoded once when it arrives; the frames of
 * one channel that arrive in one event-loop turn are written to each subscriber as one batch at the
 * end of the turn (setImmediate), so the per-subscriber cost is one write and no allocation.
 *
 * Guarantees: frames reach a subscriber in arrival order; a connection added before a message
 * arrives receives it, one removed before the flush does not.
 */
export class Hub {
  private readonly apps = new Map<string, Map<string, LocalChannel>>();
  private dirty: LocalChannel[] = [];
  private flushScheduled = false;
  /** Deliveries made (frames × recipients), for metrics. */
  deliveries = 0;

  constructor(private readonly observer: CoreObserver = {}) {}

  /** Adds a subscriber; returns true when it is the channel's first on this node. */
  add(appId: string, channel: string, connection: Connection): boolean {
    let channels = this.apps.get(appId);
    if (!channels) this.apps.set(appId, (channels = new Map()));
    let local = channels.get(channel);
    const first = !local;
    if (!local) channels.set(channel, (local = new LocalChannel(appId, channel)));
    local.subscribers.add(connection);
    return first;
  }

  /** Removes a subscriber; returns true when the channel has no subscriber left on this node. */
  remove(appId: string, channel: string, connection: Connection): boolean {
    const channels = this.apps.get(appId);
    const local = channels?.get(channel);
    if (!channels || !local || !local.subscribers.delete(connection)) return false;
    if (connection.held?.delete(channel)) local.holders--;
    if (local.subscribers.size > 0) return false;
    channels.delete(channel);
    if (channels.size === 0) this.apps.delete(appId);
    return true;
  }

  localSubscribers(appId: string, channel: string): ReadonlySet<Connection> | undefined {
    return this.apps.get(appId)?.get(channel)?.subscribers;
  }

  /** Encodes a channel message once and queues it for this turn's flush. */
  enqueue(message: ChannelMessage): void {
    const local = this.apps.get(message.appId)?.get(message.channel);
    if (!local) return;
    const text = ServerFrames.channelEvent(message.channel, message.event, message.data, message.userId, message.position);
    const offset = message.position === undefined ? undefined : parsePosition(message.position)?.offset;
    this.enqueueFrame(local, new EncodedFrame(text), message.exceptSocketId, offset);
  }

  /** Queues an already-encoded frame for every local subscriber of a channel (but `exceptSocketId`). */
  enqueueEncoded(appId: string, channel: string, frame: EncodedFrame, exceptSocketId?: string): void {
    const local = this.apps.get(appId)?.get(channel);
    if (local) this.enqueueFrame(local, frame, exceptSocketId);
  }

  private enqueueFrame(local: LocalChannel, frame: EncodedFrame, exceptSocketId: string | undefined, offset?: number): void {
    if (local.pending.length === 0) this.dirty.push(local);
    local.pending.push({ frame, exceptSocketId, offset });
    if (exceptSocketId !== undefined) local.hasExclusions = true;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes every queued frame now. Called at the end of each turn that queued something. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const local of dirty) {
      const pending = local.pending;
      local.pending = [];
      const hasExclusions = local.hasExclusions;
      local.hasExclusions = false;
      let written = pending.length * local.subscribers.size;
      if (!hasExclusions && local.holders === 0) {
        // The common case: everyone gets everything. One frame needs no batch object at all.
        if (pending.length === 1) {
          const frame = (pending[0] as PendingFrame).frame;
          for (const subscriber of local.subscribers) subscriber.link.send(frame);
        } else {
          const batch = new FrameBatch(pending.map((p) => p.frame));
          for (const subscriber of local.subscribers) subscriber.link.sendBatch(batch);
        }
      } else {
        written = 0;
        let batch: FrameBatch | undefined;
        for (const subscriber of local.subscribers) {
          const held = local.holders > 0 ? subscriber.held?.get(local.name) : undefined;
          if (held) {
            for (const p of pending) if (p.exceptSocketId !== subscriber.socketId) held.push(p);
          } else if (pending.some((p) => p.exceptSocketId === subscriber.socketId)) {
            const frames = pending.filter((p) => p.exceptSocketId !== subscriber.socketId).map((p) => p.frame);
            if (frames.length > 0) subscriber.link.sendBatch(new FrameBatch(frames));
            written += frames.length;
          } else {
            subscriber.link.sendBatch((batch ??= new FrameBatch(pending.map((p) => p.frame))));
            written += pending.length;
          }
        }
      }
      this.deliveries += written;
      if (this.observer.delivered) this.reportDelivery(local, pending, written);
    }
  };

  private reportDelivery(local: LocalChannel, pending: readonly PendingFrame[], written: number): void {
    // The transport caches each frame's wire bytes on first write; without them, the text is close.
    let batchBytes = 0;
    for (const p of pending) batchBytes += p.frame.wire?.length ?? p.frame.text.length;
    const messages = pending.length;
    this.observer.delivered?.({
      appId: local.appId,
      channel: local.name,
      messages,
      recipients: local.subscribers.size,
      deliveries: written,
      bytes: Math.round((batchBytes * written) / messages),
    });
  }

  /**
   * Starts holding a subscriber's live frames of one channel (it must already be added): they are
   * kept, in order, until `release`, so missed events can be replayed ahead of them.
   */
  hold(appId: string, channel: string, connection: Connection): void {
    const local = this.apps.get(appId)?.get(channel);
    if (!local || connection.held?.has(channel)) return;
    (connection.held ??= new Map()).set(channel, []);
    local.holders++;
  }

  /** Sends the held frames newer than `afterOffset` (all of them when undefined) and stops holding. */
  release(appId: string, channel: string, connection: Connection, afterOffset?: number): void {
    const held = connection.held?.get(channel);
    if (!held) return;
    connection.held?.delete(channel);
    if (connection.held?.size === 0) connection.held = undefined;
    const local = this.apps.get(appId)?.get(channel);
    if (local && local.subscribers.has(connection)) local.holders--;
    else return; // Unsubscribed meanwhile: nothing to send.
    const frames = held.filter((p) => afterOffset === undefined || p.offset === undefined || p.offset > afterOffset).map((p) => p.frame);
    if (frames.length > 0) connection.link.sendBatch(new FrameBatch(frames));
  }

  /** Channels with at least one subscriber on this node, of one app or of all apps. */
  channelCount(appId?: string): number {
    if (appId !== undefined) return this.apps.get(appId)?.size ?? 0;
    let n = 0;
    for (const channels of this.apps.values()) n += channels.size;
    return n;
  }
}
