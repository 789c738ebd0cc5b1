import type { ChannelRegistry, VacatedChannel } from './channel-registry.js';
import { RedisScript, type RedisConnections } from './redis-connections.js';
import { LUA_KEY_HELPERS, RedisKeys } from './redis-keys.js';

/** `apply` moves a channel's cluster-wide count by `d`, dropping it at zero; returns the new count. */
const COUNT_HELPERS = `${LUA_KEY_HELPERS}
local function apply(pair, d)
  local t = cjson.decode(pair)
  local key = P .. 'ch:' .. t[1]
  local n = redis.call('HINCRBY', key, t[2], d)
  if n <= 0 then
    redis.call('HDEL', key, t[2])
    return 0
  end
  return n
end
`;

/**
 * KEYS: this node's hash. ARGV: prefix, pair, delta. A node never takes away more than it added,
 * so a stray -1 cannot eat another node's subscriptions (nor report a second vacated): it returns -1.
 */
const ADJUST = new RedisScript(`${COUNT_HELPERS}
local d = tonumber(ARGV[3])
local mine = redis.call('HINCRBY', KEYS[1], ARGV[2], d)
if mine <= 0 then redis.call('HDEL', KEYS[1], ARGV[2]) end
if mine < 0 then d = d - mine end
if d == 0 and tonumber(ARGV[3]) < 0 then return -1 end
return apply(ARGV[2], d)
`);

/**
 * KEYS: the dead node's hash. ARGV: prefix, node id. Returns the pairs it vacated. Runs last in a
 * dead node's cleanup (after presence), so it also releases the survivor's claim on the node.
 */
const FORGET = new RedisScript(`${COUNT_HELPERS}
local all = redis.call('HGETALL', KEYS[1])
local vacated = {}
for i = 1, #all, 2 do
  if apply(all[i], -tonumber(all[i + 1])) == 0 then vacated[#vacated + 1] = all[i] end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', P .. 'reaping', ARGV[2])
return vacated
`);

/** KEYS: this node's hash. ARGV: prefix, then pair/count pairs: makes Redis hold exactly these counts for this node. */
const RESET = new RedisScript(`${COUNT_HELPERS}
local want = {}
for i = 2, #ARGV, 2 do want[ARGV[i]] = tonumber(ARGV[i + 1]) end
local all = redis.call('HGETALL', KEYS[1])
local had = {}
for i = 1, #all, 2 do
  local n = tonumber(all[i + 1])
  had[all[i]] = true
  if (want[all[i]] or 0) ~= n then apply(all[i], (want[all[i]] or 0) - n) end
end
for i = 2, #ARGV, 2 do
  if not had[ARGV[i]] then apply(ARGV[i], tonumber(ARGV[i + 1])) end
end
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 0
`);

/**
 * Subscription counts in Redis: one hash per app with the cluster-wide counts, and one hash per
 * node with its share. Every adjust is one atomic script, so the count it resolves with is exact
 * and exactly one caller sees the 0→1 and the 1→0 transitions. The node's share is also kept in
 * memory to be put back after a reconnect or a Redis restart.
 */
export class RedisChannelRegistry implements ChannelRegistry {
  /** pair → this node's subscriptions. */
  private readonly mine = new Map<string, number>();

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
  ) {}

  async adjust(appId: string, channel: string, delta: number): Promise<number> {
    const pair = RedisKeys.pair(appId, channel);
    // Recorded before Redis answers: the subscription stands locally even if Redis is away, and the
    // resync after reconnecting publishes it.
    const next = (this.mine.get(pair) ?? 0) + delta;
    if (next > 0) this.mine.set(pair, next);
    else this.mine.delete(pair);
    return Number(await this.redis.script(ADJUST, [this.keys.nodeCounts(this.nodeId)], [this.keys.prefix, pair, delta]));
  }

  async count(appId: string, channel: string): Promise<number> {
    const value = await this.redis.call((r) => r.hget(this.keys.counts(appId), channel));
    return value === null ? 0 : Math.max(Number(value), 0);
  }

  async list(appId: string, prefix: string): Promise<Map<string, number>> {
    const all = await this.redis.call((r) => r.hgetall(this.keys.counts(appId)));
    const out = new Map<string, number>();
    for (const [name, value] of Object.entries(all)) {
      const count = Number(value);
      if (name.startsWith(prefix) && count > 0) out.set(name, count);
    }
    return out;
  }

  async forgetNode(nodeId: string): Promise<VacatedChannel[]> {
    const vacated = (await this.redis.script(FORGET, [this.keys.nodeCounts(nodeId)], [this.keys.prefix, nodeId])) as string[];
    return vacated.map((pair) => {
      const [appId, channel] = JSON.parse(pair) as [string, string];
      return { appId, channel };
    });
  }

  /** Makes Redis hold exactly this node's current counts. */
  async resync(): Promise<void> {
    const args: Array<string | number> = [this.keys.prefix];
    for (const [pair, count] of this.mine) args.push(pair, count);
    await this.redis.script(RESET, [this.keys.nodeCounts(this.nodeId)], args);
  }

  async close(): Promise<void> {
    this.mine.clear();
  }
}
