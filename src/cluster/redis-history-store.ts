import { randomBytes } from 'node:crypto';
import type { HistoryEvent, HistoryLimits, HistoryRead, HistoryStore, Position } from './history-store.js';
import { RedisScript, type RedisConnections } from './redis-connections.js';
import { LUA_KEY_HELPERS, type RedisKeys } from './redis-keys.js';

/**
 * KEYS: stream, meta. ARGV: prefix, epoch candidate, value JSON, max events, ttl ms.
 * A channel without meta (new, expired or lost with a Redis restart) starts a new epoch.
 */
const APPEND = new RedisScript(`${LUA_KEY_HELPERS}
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  epoch = ARGV[2]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'epoch', epoch, 'next', 0)
end
local offset = redis.call('HINCRBY', KEYS[2], 'next', 1)
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[4], '*', 'o', offset, 'v', ARGV[3])
local ttl = tonumber(ARGV[5])
redis.call('XTRIM', KEYS[1], 'MINID', now_ms() - ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return {epoch, offset}
`);

/**
 * KEYS: stream, meta. ARGV: prefix, epoch, after offset, limit, ttl ms.
 * Returns {status, epoch, latest, offset1, value1, …}; status is ok | epoch | future | trimmed.
 */
const SINCE = new RedisScript(`${LUA_KEY_HELPERS}
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then return {'epoch', '', 0} end
local latest = tonumber(redis.call('HGET', KEYS[2], 'next') or '0')
if epoch ~= ARGV[2] then return {'epoch', epoch, latest} end
local after = tonumber(ARGV[3])
if after > latest then return {'future', epoch, latest} end
redis.call('XTRIM', KEYS[1], 'MINID', now_ms() - tonumber(ARGV[5]))
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local oldest = latest + 1
if first[1] then oldest = tonumber(first[1][2][2]) end
if after + 1 < oldest then return {'trimmed', epoch, latest, oldest} end
local skip = after + 1 - oldest
local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', skip + tonumber(ARGV[4]))
local out = {'ok', epoch, latest}
for i = skip + 1, #entries do
  out[#out + 1] = entries[i][2][2]
  out[#out + 1] = entries[i][2][4]
end
return out
`);

/**
 * KEYS: stream, meta. ARGV: prefix, epoch candidate, ttl ms. Returns {epoch, latest}, starting an
 * epoch at offset 0 when the channel has none; a fresh meta lives for the TTL like an append's.
 */
const TIP = new RedisScript(`${LUA_KEY_HELPERS}
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  epoch = ARGV[2]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'epoch', epoch, 'next', 0)
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
end
return {epoch, tonumber(redis.call('HGET', KEYS[2], 'next') or '0')}
`);

/**
 * History in Redis: one stream per channel bounded by length and age, plus a small hash holding the
 * epoch and the offset counter, so every node assigns and answers the same positions. Both keys
 * expire with the history's TTL; when they are gone the next event starts a new epoch.
 */
export class RedisHistoryStore implements HistoryStore {
  /** TTL last used per channel, so reads trim by the same age as writes. */
  private readonly ttls = new Map<string, number>();

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
  ) {}

  async append(appId: string, channel: string, event: { event: string; data: unknown }, limits: HistoryLimits): Promise<Position> {
    const ttlMs = limits.ttlSeconds * 1000;
    this.ttls.set(`${appId}\u0000${channel}`, ttlMs);
    const value = JSON.stringify({ event: event.event, data: event.data });
    const [epoch, offset] = (await this.redis.script(APPEND, [this.keys.history(appId, channel), this.keys.historyMeta(appId, channel)], [this.keys.prefix, randomBytes(6).toString('base64url'), value, limits.maxEvents, ttlMs])) as [string, number];
    return { epoch, offset: Number(offset) };
  }

  async since(appId: string, channel: string, after: Position, limit: number): Promise<HistoryRead> {
    const ttlMs = this.ttls.get(`${appId}\u0000${channel}`) ?? 365 * 24 * 3600 * 1000;
    const reply = (await this.redis.script(SINCE, [this.keys.history(appId, channel), this.keys.historyMeta(appId, channel)], [this.keys.prefix, after.epoch, after.offset, limit, ttlMs])) as Array<string | number>;
    const [status, epoch, latestRaw] = reply;
    const latest = Number(latestRaw);
    if (status === 'trimmed') return { recovered: false, epoch: String(epoch), latest, reason: 'trimmed', oldest: Number(reply[3]) };
    if (status !== 'ok') return { recovered: false, epoch: String(epoch), latest, reason: status as 'epoch' | 'future' };
    const events: HistoryEvent[] = [];
    for (let i = 3; i + 1 < reply.length; i += 2) {
      const parsed = JSON.parse(String(reply[i + 1])) as { event: string; data: unknown };
      events.push({ event: parsed.event, data: parsed.data, offset: Number(reply[i]) });
    }
    return { recovered: true, epoch: String(epoch), events, latest };
  }

  async tip(appId: string, channel: string, limits: HistoryLimits): Promise<Position> {
    const ttlMs = limits.ttlSeconds * 1000;
    this.ttls.set(`${appId}\u0000${channel}`, ttlMs);
    const [epoch, latest] = (await this.redis.script(TIP, [this.keys.history(appId, channel), this.keys.historyMeta(appId, channel)], [this.keys.prefix, randomBytes(6).toString('base64url'), ttlMs])) as [string, number];
    return { epoch, offset: Number(latest) };
  }

  async latest(appId: string, channel: string): Promise<Position | undefined> {
    const [epoch, next] = await this.redis.call((r) => r.hmget(this.keys.historyMeta(appId, channel), 'epoch', 'next'));
    return epoch && Number(next) > 0 ? { epoch, offset: Number(next) } : undefined;
  }

  async close(): Promise<void> {
    // The connections belong to the cluster.
  }
}
