import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * The peers whose `X-Forwarded-For` is believed: a list of addresses and CIDR ranges, IPv4 or IPv6
 * (`127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`). Built once from config; an empty list trusts nobody.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const parsed = parseProxyEntry(entry);
      if (parsed === undefined) throw new TypeError(`not an address or CIDR range: ${entry}`);
      if (parsed.prefix === undefined) this.list.addAddress(parsed.address, parsed.family);
      else this.list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
    this.empty = entries.length === 0;
  }

  /** True when `address` (any textual form, IPv4-mapped IPv6 included) is one of the trusted proxies. */
  trusts(address: string): boolean {
    if (this.empty) return false;
    const plain = normalizeAddress(address);
    const family = isIP(plain);
    if (family === 0) return false;
    return this.list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Parses `1.2.3.4`, `1.2.3.0/24`, `::1`, `fd00::/8`; undefined when it is neither. */
export function parseProxyEntry(entry: string): { address: string; family: 'ipv4' | 'ipv6'; prefix: number | undefined } | undefined {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return undefined;
  let prefix: number | undefined;
  if (slash !== -1) {
    const text = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text)) return undefined;
    prefix = Number(text);
    if (prefix > (family === 4 ? 32 : 128)) return undefined;
  }
  return { address, family: family === 4 ? 'ipv4' : 'ipv6', prefix };
}

/** `::ffff:1.2.3.4` (how a dual-stack listener reports IPv4 peers) becomes `1.2.3.4`. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  return lower;
}

/**
 * The address of the client behind a request: the TCP peer, unless that peer is a trusted proxy, in
 * which case `X-Forwarded-For` is walked from the right (the hop nearest us) past every trusted proxy
 * and the first address not trusted is the client. An entry that is not an address stops the walk at
 * the last hop we could vouch for, so a forged or garbled header never yields an address nobody sent
 * from. With no trusted proxies this is always the peer address, whatever the headers say.
 *
 * This is the one place the client address is decided: admission, per-address limits, logs and
 * fallback-session binding all use it.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: TrustedProxies | readonly string[]): string {
  const trusted = trustedProxies instanceof TrustedProxies ? trustedProxies : trustedFromList(trustedProxies);
  const peer = normalizeAddress(req.socket.remoteAddress ?? '');
  if (!trusted.trusts(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  if (header === undefined) return peer;
  // Several X-Forwarded-For headers are joined by Node with ", " in arrival order, as RFC 7230 allows.
  const hops = (Array.isArray(header) ? header.join(',') : header).split(',');
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(stripPort((hops[i] ?? '').trim()));
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted.trusts(hop)) return hop;
  }
  return client;
}

const fromLists = new WeakMap<readonly string[], TrustedProxies>();

/** A config list turned into its matcher once, so callers may pass `config.trustedProxies` as it is. */
function trustedFromList(list: readonly string[]): TrustedProxies {
  let trusted = fromLists.get(list);
  if (trusted === undefined) {
    trusted = new TrustedProxies(list);
    fromLists.set(list, trusted);
  }
  return trusted;
}

/** `1.2.3.4:5678` and `[::1]:5678` (some proxies append the port) lose the port. */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end === -1 ? hop : hop.slice(1, end);
  }
  const colon = hop.indexOf(':');
  if (colon !== -1 && hop.indexOf(':', colon + 1) === -1) return hop.slice(0, colon);
  return hop;
}
