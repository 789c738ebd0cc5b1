import type { ChannelMessage, ControlMessage } from './broker.js';
import type { VacatedChannel } from './channel-registry.js';
import type { HistoryLimits, Position } from './history-store.js';
import { isHostMessage, type HostMessage, type HostOp, type HostPort } from './host-port.js';
import { LocalCacheStore } from './local-cache-store.js';
import { LocalHistoryStore } from './local-history-store.js';
import type { DepartedMember, PresenceMember } from './presence-store.js';

interface Node {
  readonly id: string;
  readonly port: HostPort;
  /** app \0 channel → interest count, mirrored from the worker's broker. */
  readonly interest: Map<string, number>;
  /** app → this worker's connections, as it last reported. */
  readonly connections: Map<string, number>;
}

interface Member {
  userInfo: unknown;
  /** socket id → node id of every connection of this user in the channel. */
  readonly sockets: Map<string, string>;
}

const key = (appId: string, channel: string): string => `${appId}\u0000${channel}`;

/**
 * The host's shared state, kept in the primary process for its workers (`--workers N` without
 * Redis): the in-host counterpart of Redis. Workers reach it through `HostCluster` over Node's IPC
 * channel; each call is handled synchronously in arrival order, which gives the same guarantees the
 * cluster interfaces state for Redis (one publisher's order per channel, exactly one first join and
 * one last leave, exactly one 1 and one 0 from concurrent adjusts).
 *
 * A worker that goes away (crash, exit) is announced to exactly one surviving worker with a
 * `node-gone` control message, as a dead node is with Redis; that worker takes back its presence and
 * counts through `forgetNode`. With no survivor the announcement waits for the next worker.
 */
export class HostHub {
  private readonly nodes = new Map<string, Node>();
  /** app \0 channel → node id → subscriptions of that node. */
  private readonly counts = new Map<string, Map<string, number>>();
  /** app \0 channel → user id → member. Presence channels only. */
  private readonly presence = new Map<string, Map<string, Member>>();
  private readonly cache = new LocalCacheStore();
  private readonly history = new LocalHistoryStore();
  private readonly gone: string[] = [];
  private talliesDue = false;

  /** Serves one worker's port until it disconnects (or `detach` is called). */
  attach(port: HostPort): void {
    let node: Node | undefined;
    const onMessage = (raw: unknown): void => {
      if (!isHostMessage(raw)) return;
      if (raw.sb === 'hello') {
        node = { id: raw.nodeId, port, interest: new Map(), connections: new Map() };
        this.nodes.set(node.id, node);
        for (const nodeId of this.gone.splice(0)) this.announceGone(nodeId);
        this.tallyChanged();
        return;
      }
      if (raw.sb === 'tally' && node) {
        for (const [appId, count] of raw.counts) {
          if (count > 0) node.connections.set(appId, count);
          else node.connections.delete(appId);
        }
        this.tallyChanged();
        return;
      }
      if (raw.sb !== 'call' || !node) return;
      const from = node;
      let reply: HostMessage;
      try {
        reply = { sb: 'reply', id: raw.id, value: this.handle(from, raw.op, raw.args) };
      } catch (error) {
        reply = { sb: 'reply', id: raw.id, error: error instanceof Error ? error.message : String(error) };
      }
      if (reply.value instanceof Promise) {
        reply.value.then(
          (value: unknown) => this.send(from, { sb: 'reply', id: raw.id, value }),
          (error: unknown) => this.send(from, { sb: 'reply', id: raw.id, error: String(error) }),
        );
      } else this.send(from, reply);
    };
    const onDisconnect = (): void => {
      port.off('message', onMessage);
      port.off('disconnect', onDisconnect);
      if (node) this.nodeLeft(node.id);
    };
    port.on('message', onMessage);
    port.on('disconnect', onDisconnect);
  }

  /** Node ids of the workers attached now. */
  nodeIds(): string[] {
    return [...this.nodes.keys()];
  }

  async close(): Promise<void> {
    await Promise.all([this.cache.close(), this.history.close()]);
  }

  private nodeLeft(nodeId: string): void {
    if (!this.nodes.delete(nodeId)) return;
    this.announceGone(nodeId);
    this.tallyChanged();
  }

  /** Tells every worker the others' connection counts, once per turn however many reports came in. */
  private tallyChanged(): void {
    if (this.talliesDue) return;
    this.talliesDue = true;
    setImmediate(() => {
      this.talliesDue = false;
      const total = new Map<string, number>();
      for (const n of this.nodes.values()) {
        for (const [appId, count] of n.connections) total.set(appId, (total.get(appId) ?? 0) + count);
      }
      for (const n of this.nodes.values()) {
        const elsewhere: Array<[string, number]> = [];
        for (const [appId, count] of total) {
          const others = count - (n.connections.get(appId) ?? 0);
          if (others > 0) elsewhere.push([appId, others]);
        }
        this.send(n, { sb: 'tallies', elsewhere, nodes: this.nodes.size });
      }
    });
  }

  /** Hands the dead node's cleanup to exactly one surviving worker (or to the next one to attach). */
  private announceGone(nodeId: string): void {
    const survivor = this.nodes.values().next().value as Node | undefined;
    if (!survivor) {
      this.gone.push(nodeId);
      return;
    }
    this.send(survivor, { sb: 'control', message: { type: 'node-gone', nodeId } });
  }

  private send(node: Node, message: HostMessage): void {
    try {
      node.port.send(message);
    } catch {
      // The worker's channel closed under us; its 'disconnect' handler cleans up after it.
    }
  }

  private handle(node: Node, op: HostOp, args: readonly unknown[]): unknown {
    const s = (i: number): string => String(args[i]);
    switch (op) {
      case 'broker.publish':
        this.publish(args[0] as ChannelMessage);
        return null;
      case 'broker.control':
        for (const n of this.nodes.values()) this.send(n, { sb: 'control', message: args[0] as ControlMessage });
        return null;
      case 'broker.interest': {
        const k = key(s(0), s(1));
        const next = (node.interest.get(k) ?? 0) + Number(args[2]);
        if (next > 0) node.interest.set(k, next);
        else node.interest.delete(k);
        return null;
      }
      case 'channels.adjust':
        return this.adjust(node.id, s(0), s(1), Number(args[2]));
      case 'channels.count':
        return this.count(key(s(0), s(1)));
      case 'channels.list':
        return this.list(s(0), s(1));
      case 'channels.forgetNode':
        return this.forgetCounts(s(0));
      case 'presence.join':
        return this.join(node.id, key(s(0), s(1)), s(2), args[3] as PresenceMember);
      case 'presence.leave':
        return this.leave(key(s(0), s(1)), s(2), s(3));
      case 'presence.members':
        return [...(this.presence.get(key(s(0), s(1))) ?? [])].map(([userId, m]) => [userId, m.userInfo]);
      case 'presence.memberCount':
        return this.presence.get(key(s(0), s(1)))?.size ?? 0;
      case 'presence.present': {
        const users = this.presence.get(key(s(0), s(1)));
        return (args[2] as string[]).filter((id) => users?.has(id));
      }
      case 'presence.forgetNode':
        return this.forgetPresence(s(0));
      case 'cache.set':
        return this.cache.set(s(0), s(1), args[2] as { event: string; data: unknown }, Number(args[3])).then(() => null);
      case 'cache.get':
        return this.cache.get(s(0), s(1)).then((v) => v ?? null);
      case 'history.append':
        return this.history.append(s(0), s(1), args[2] as { event: string; data: unknown }, args[3] as HistoryLimits);
      case 'history.since':
        return this.history.since(s(0), s(1), args[2] as Position, Number(args[3]));
      case 'history.latest':
        return this.history.latest(s(0), s(1)).then((v) => v ?? null);
      case 'history.tip':
        return this.history.tip(s(0), s(1), args[2] as HistoryLimits);
    }
  }

  /** Every node holding interest in the channel gets the message, in the order publishes arrive. */
  private publish(message: ChannelMessage): void {
    const k = key(message.appId, message.channel);
    for (const n of this.nodes.values()) if (n.interest.has(k)) this.send(n, { sb: 'deliver', message });
  }

  private adjust(nodeId: string, appId: string, channel: string, delta: number): number {
    const k = key(appId, channel);
    let perNode = this.counts.get(k);
    const mine = perNode?.get(nodeId) ?? 0;
    if (mine + delta < 0) return -1;
    if (!perNode) this.counts.set(k, (perNode = new Map()));
    if (mine + delta > 0) perNode.set(nodeId, mine + delta);
    else perNode.delete(nodeId);
    if (perNode.size === 0) this.counts.delete(k);
    return this.count(k);
  }

  private count(k: string): number {
    let total = 0;
    for (const n of this.counts.get(k)?.values() ?? []) total += n;
    return total;
  }

  private list(appId: string, prefix: string): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    const head = key(appId, prefix);
    for (const k of this.counts.keys()) if (k.startsWith(head)) out.push([k.slice(appId.length + 1), this.count(k)]);
    return out;
  }

  private forgetCounts(nodeId: string): VacatedChannel[] {
    const vacated: VacatedChannel[] = [];
    for (const [k, perNode] of this.counts) {
      if (!perNode.delete(nodeId)) continue;
      if (perNode.size > 0) continue;
      this.counts.delete(k);
      const [appId = '', channel = ''] = k.split('\u0000');
      vacated.push({ appId, channel });
    }
    return vacated;
  }

  private join(nodeId: string, k: string, socketId: string, member: PresenceMember): boolean {
    let users = this.presence.get(k);
    if (!users) this.presence.set(k, (users = new Map()));
    const existing = users.get(member.userId);
    if (existing) {
      existing.sockets.set(socketId, nodeId);
      existing.userInfo = member.userInfo;
      return false;
    }
    users.set(member.userId, { userInfo: member.userInfo, sockets: new Map([[socketId, nodeId]]) });
    return true;
  }

  private leave(k: string, socketId: string, userId: string): boolean {
    const users = this.presence.get(k);
    const member = users?.get(userId);
    if (!users || !member || !member.sockets.delete(socketId) || member.sockets.size > 0) return false;
    users.delete(userId);
    if (users.size === 0) this.presence.delete(k);
    return true;
  }

  private forgetPresence(nodeId: string): DepartedMember[] {
    const departed: DepartedMember[] = [];
    for (const [k, users] of this.presence) {
      const [appId = '', channel = ''] = k.split('\u0000');
      for (const [userId, member] of users) {
        for (const [socketId, owner] of member.sockets) if (owner === nodeId) member.sockets.delete(socketId);
        if (member.sockets.size > 0) continue;
        users.delete(userId);
        departed.push({ appId, channel, userId });
      }
      if (users.size === 0) this.presence.delete(k);
    }
    return departed;
  }
}
