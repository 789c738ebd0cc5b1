/**
 * Every Redis key and pub/sub channel Switchboard uses, under one configurable prefix so several
 * deployments can share a Redis. The Lua scripts build the per-channel keys from the same parts
 * (`LUA_KEY_HELPERS`), so the two must change together.
 *
 * An (app, channel) pair is written `<byte length of app id>:<app id>:<channel>`: app ids and user
 * channel names may both contain colons, the length keeps the pair unambiguous.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** `[appId, channel]` as JSON: how scripts receive and store an (app, channel) pair. */
  static pair(appId: string, channel: string): string {
    return JSON.stringify([appId, channel]);
  }

  private scoped(kind: string, appId: string, channel: string): string {
    return `${this.prefix}${kind}:${Buffer.byteLength(appId)}:${appId}:${channel}`;
  }

  /** Hash channel → cluster-wide subscription count, per app. */
  counts(appId: string): string {
    return `${this.prefix}ch:${appId}`;
  }

  /** Hash pair → this node's share of the count (to take back when the node dies). */
  nodeCounts(nodeId: string): string {
    return `${this.prefix}nc:${nodeId}`;
  }

  /** Hash user → user_info JSON of a presence channel. */
  members(appId: string, channel: string): string {
    return this.scoped('pm', appId, channel);
  }

  /** Hash user → how many connections they have in a presence channel, cluster-wide. */
  memberConnections(appId: string, channel: string): string {
    return this.scoped('pn', appId, channel);
  }

  /** Sorted set user → sequence number of their first connection (member order). */
  memberOrder(appId: string, channel: string): string {
    return this.scoped('po', appId, channel);
  }

  /** Hash connection entry → user_info JSON for every presence connection a node holds. */
  nodePresence(nodeId: string): string {
    return `${this.prefix}np:${nodeId}`;
  }

  cache(appId: string, channel: string): string {
    return this.scoped('cache', appId, channel);
  }

  /** Stream of a resumable channel's events (fields: o = offset, v = {event, data} JSON). */
  history(appId: string, channel: string): string {
    return this.scoped('hist', appId, channel);
  }

  /** Hash epoch / next offset of a resumable channel's history. */
  historyMeta(appId: string, channel: string): string {
    return this.scoped('hmeta', appId, channel);
  }

  /** Pub/sub channel carrying one channel's messages. */
  topic(appId: string, channel: string): string {
    return this.scoped('m', appId, channel);
  }

  /** Pub/sub channel every node listens to. */
  get control(): string {
    return `${this.prefix}control`;
  }

  /** Sorted set node id → time of its last heartbeat (Redis clock, ms). */
  get nodes(): string {
    return `${this.prefix}nodes`;
  }

  /** Set when a node is declared dead, so that it knows if it comes back (built in Lua too). */
  tombstone(nodeId: string): string {
    return `${this.prefix}dead:${nodeId}`;
  }

  /** Sorted set node id → when a survivor claimed its cleanup. */
  get reaping(): string {
    return `${this.prefix}reaping`;
  }
}

/**
 * Lua prelude shared by the scripts: `P` is the prefix (ARGV[1]); `scoped` mirrors
 * `RedisKeys.scoped`; `now_ms` reads Redis's own clock so nodes' clocks never matter.
 */
export const LUA_KEY_HELPERS = `
local P = ARGV[1]
local function scoped(kind, app, channel) return P .. kind .. ':' .. #app .. ':' .. app .. ':' .. channel end
local function now_ms() local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
`;
