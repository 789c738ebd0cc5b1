import type { DepartedMember, PresenceMember, PresenceStore } from './presence-store.js';
import { RedisScript, type RedisConnections } from './redis-connections.js';
import { LUA_KEY_HELPERS, RedisKeys } from './redis-keys.js';

/**
 * `add`/`remove` count one connection of a user in a channel and keep the member hash and the
 * join order in step; they return 1 on the user's first/last connection. A connection is the
 * entry `[app, channel, user, socket]` (JSON), also the field of the owning node's hash so a
 * dead node's connections can be taken back.
 */
const PRESENCE_HELPERS = `${LUA_KEY_HELPERS}
local function add(e, info)
  local t = cjson.decode(e)
  local n = redis.call('HINCRBY', scoped('pn', t[1], t[2]), t[3], 1)
  redis.call('HSET', scoped('pm', t[1], t[2]), t[3], info)
  if n == 1 then
    redis.call('ZADD', scoped('po', t[1], t[2]), redis.call('INCR', P .. 'pseq'), t[3])
    return 1
  end
  return 0
end
local function remove(e)
  local t = cjson.decode(e)
  local pn = scoped('pn', t[1], t[2])
  local n = redis.call('HINCRBY', pn, t[3], -1)
  if n > 0 then return 0 end
  redis.call('HDEL', pn, t[3])
  redis.call('HDEL', scoped('pm', t[1], t[2]), t[3])
  redis.call('ZREM', scoped('po', t[1], t[2]), t[3])
  return 1
end
`;

/** KEYS: node hash. ARGV: prefix, entry, info. A repeated join of one connection only refreshes user_info. */
const JOIN = new RedisScript(`${PRESENCE_HELPERS}
if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
  local t = cjson.decode(ARGV[2])
  redis.call('HSET', scoped('pm', t[1], t[2]), t[3], ARGV[3])
  return 0
end
return add(ARGV[2], ARGV[3])
`);

/** KEYS: node hash. ARGV: prefix, entry. Leaving with an unknown connection changes nothing. */
const LEAVE = new RedisScript(`${PRESENCE_HELPERS}
if redis.call('HDEL', KEYS[1], ARGV[2]) == 0 then return 0 end
return remove(ARGV[2])
`);

/** KEYS: member order, member hash. */
const MEMBERS = new RedisScript(`return {redis.call('ZRANGE', KEYS[1], 0, -1), redis.call('HGETALL', KEYS[2])}`);

/** KEYS: dead node's hash. ARGV: prefix. Returns the entries whose user left entirely. Idempotent. */
const FORGET = new RedisScript(`${PRESENCE_HELPERS}
local gone = {}
for _, e in ipairs(redis.call('HKEYS', KEYS[1])) do
  if remove(e) == 1 then gone[#gone + 1] = e end
end
redis.call('DEL', KEYS[1])
return gone
`);

/** KEYS: this node's hash. ARGV: prefix, then entry/info pairs: makes Redis hold exactly those connections for this node. */
const RESET = new RedisScript(`${PRESENCE_HELPERS}
local want = {}
for i = 2, #ARGV, 2 do want[ARGV[i]] = true end
local had = {}
for _, e in ipairs(redis.call('HKEYS', KEYS[1])) do
  had[e] = true
  if not want[e] then
    remove(e)
    redis.call('HDEL', KEYS[1], e)
  end
end
for i = 2, #ARGV, 2 do
  if not had[ARGV[i]] then
    add(ARGV[i], ARGV[i + 1])
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 0
`);

/**
 * Presence in Redis. Each join/leave is one atomic script, so the first/last-connection answers
 * are exact cluster-wide. The node also keeps its own connections in memory (`mine`) so it can put
 * them back after Redis restarts or after the cluster took them away while this node was cut off.
 */
export class RedisPresenceStore implements PresenceStore {
  /** entry → user_info JSON, for every presence connection this node holds. */
  private readonly mine = new Map<string, string>();

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
  ) {}

  async join(appId: string, channel: string, socketId: string, member: PresenceMember): Promise<boolean> {
    const entry = JSON.stringify([appId, channel, member.userId, socketId]);
    const info = member.userInfo === undefined ? '' : JSON.stringify(member.userInfo);
    const known = this.mine.has(entry);
    this.mine.set(entry, info);
    try {
      return (await this.redis.script(JOIN, [this.keys.nodePresence(this.nodeId)], [this.keys.prefix, entry, info])) === 1;
    } catch (error) {
      // The caller abandons a subscription whose join failed, so there will be no leave for it.
      if (!known) this.mine.delete(entry);
      throw error;
    }
  }

  async leave(appId: string, channel: string, socketId: string, userId: string): Promise<boolean> {
    const entry = JSON.stringify([appId, channel, userId, socketId]);
    this.mine.delete(entry);
    return (await this.redis.script(LEAVE, [this.keys.nodePresence(this.nodeId)], [this.keys.prefix, entry])) === 1;
  }

  async members(appId: string, channel: string): Promise<Map<string, unknown>> {
    const reply = (await this.redis.script(MEMBERS, [this.keys.memberOrder(appId, channel), this.keys.members(appId, channel)], [])) as [string[], string[]];
    const [order, flat] = reply;
    const infos = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) infos.set(flat[i] as string, flat[i + 1] as string);
    const out = new Map<string, unknown>();
    for (const userId of order) out.set(userId, decodeInfo(infos.get(userId)));
    return out;
  }

  async memberCount(appId: string, channel: string): Promise<number> {
    return this.redis.call((r) => r.zcard(this.keys.memberOrder(appId, channel)));
  }

  async present(appId: string, channel: string, userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const key = this.keys.memberOrder(appId, channel);
    const scores = await this.redis.call((r) => r.zmscore(key, ...userIds));
    return new Set(userIds.filter((_, i) => scores[i] !== null));
  }

  async forgetNode(nodeId: string): Promise<DepartedMember[]> {
    const gone = (await this.redis.script(FORGET, [this.keys.nodePresence(nodeId)], [this.keys.prefix])) as string[];
    return gone.map((entry) => {
      const [appId, channel, userId] = JSON.parse(entry) as [string, string, string];
      return { appId, channel, userId };
    });
  }

  /** Makes Redis hold exactly this node's current connections (after a reconnect or a Redis restart). */
  async resync(): Promise<void> {
    const args: string[] = [this.keys.prefix];
    for (const [entry, info] of this.mine) args.push(entry, info);
    await this.redis.script(RESET, [this.keys.nodePresence(this.nodeId)], args);
  }

  async close(): Promise<void> {
    this.mine.clear();
  }
}

function decodeInfo(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
