// Per-registry WHOIS knowledge: query formats and the texts that mean "not found", "registered" or "slow
// down". Facts gathered from the registries' public answers; keyed by WHOIS host so that a TLD moving to
// another backend picks up the right profile when the data is regenerated.
import type { WhoisServer } from './types.js';

export interface WhoisProfile {
  query?: string;
  notFound?: string[];
  registered?: string[];
}

// `{name}` inside a pattern is replaced by the escaped ASCII name, so a not-found text about another name
// (some servers echo the query differently) never counts as proof for this one.
const IDENTITY_DIGITAL: WhoisProfile = { notFound: ['^\\s*(?:NOT FOUND|Domain not found\\.?)\\s*$'] };
const CENTRALNIC: WhoisProfile = { notFound: ['DOMAIN NOT FOUND'] };
const GODADDY_REGISTRY: WhoisProfile = { notFound: ['^\\s*No Data Found\\s*$'] };
const VERISIGN: WhoisProfile = { query: 'domain {name}', notFound: ['^\\s*No match for "{name}"\\.'] };

export const WHOIS_PROFILES: Readonly<Record<string, WhoisProfile>> = {
  'whois.verisign-grs.com': VERISIGN,
  'whois.nic.tv': VERISIGN,
  'whois.denic.de': {
    query: '-T dn,ace {name}',
    notFound: ['^Status:\\s*free\\s*$'],
    registered: ['^Status:\\s*(?:connect|failed|invalid)\\s*$', '^Nserver:'],
  },
  'whois.jprs.jp': { query: '{name}/e', notFound: ['^No match!!'] },
  'whois.weare.ie': { notFound: ['Not Registered'] },
  'whois.punktum.dk': { notFound: ['^No entries found for the selected source'] },
  'whois.dk-hostmaster.dk': { notFound: ['^No entries found for the selected source'] },
  'whois.nic.uk': { notFound: ['^\\s*No match for "{name}"\\.'] },
  'whois.nic.fr': { notFound: ['^%% NOT FOUND'] },
  'whois.domain-registry.nl': { notFound: ['^{name} is free'] },
  'whois.eu': { notFound: ['^Status:\\s*AVAILABLE\\s*$'] },
  'whois.nic.it': { notFound: ['^Status:\\s*AVAILABLE\\s*$'] },
  'whois.dns.be': { notFound: ['^Status:\\s*AVAILABLE\\s*$'], registered: ['^Status:\\s*NOT AVAILABLE'] },
  'whois.nic.ch': { notFound: ['The requested domain was not found'] },
  'whois.nic.at': { notFound: ['^% nothing found'] },
  'whois.iis.se': { notFound: ['^domain "{name}" not found'] },
  'whois.norid.no': { notFound: ['^% No match'] },
  'whois.dns.pl': { notFound: ['^No information available about domain name {name}'] },
  'whois.cira.ca': { notFound: ['^Not found: {name}'] },
  'whois.auda.org.au': { notFound: ['^NOT FOUND'] },
  'whois.nic.us': GODADDY_REGISTRY,
  'whois.nic.co': GODADDY_REGISTRY,
  'whois.nic.google': { notFound: ['^Domain not found\\.'] },
  'whois.nic.xyz': CENTRALNIC,
  'whois.centralnic.com': CENTRALNIC,
  'whois.nic.io': IDENTITY_DIGITAL,
  'whois.nic.info': IDENTITY_DIGITAL,
  'whois.nic.me': IDENTITY_DIGITAL,
  'whois.publicinterestregistry.org': IDENTITY_DIGITAL,
};

/** Rate-limit and block texts seen across registries; any match means "back off", never "not found". */
export const RATE_LIMIT_PATTERNS: readonly string[] = [
  'WHOIS LIMIT EXCEEDED',
  'excessive querying',
  'Rate limit exceeded',
  'BLACKLISTED',
  'Maximum Daily connection limit',
  'limit exceeded',
  'too many (?:requests|queries|connections)',
  'query rate',
  'access control limit',
];

/** Lines that only a record of a registered name carries. Used when a server has no own list. */
export const GENERIC_REGISTERED: readonly string[] = [
  '^\\s*(?:Registrar|Sponsoring Registrar|Creation Date|Created(?: On)?|Registered On|Registration Time|Domain Status|Name Servers?|Nserver|Registrant(?: Name)?)\\s*:',
];

/** Merges a server entry from the data with the built-in profile for its host; explicit fields win. */
export function withProfile(server: WhoisServer): WhoisServer {
  const profile = WHOIS_PROFILES[server.host.toLowerCase()];
  if (!profile) return server;
  return {
    ...server,
    query: server.query ?? profile.query,
    notFound: server.notFound ?? profile.notFound,
    registered: server.registered ?? profile.registered,
  };
}

export type WhoisClass =
  | { kind: 'rate-limited'; line: string }
  | { kind: 'registered'; line: string }
  | { kind: 'not-registered'; line: string }
  | { kind: 'empty' }
  | { kind: 'unrecognised' };

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Patterns without `{name}` are the same for every query: compile them once (null = invalid source).
const compiled = new Map<string, RegExp | null>();

function compile(src: string, ascii: string): RegExp | null {
  const perName = src.includes('{name}');
  if (!perName && compiled.has(src)) return compiled.get(src) ?? null;
  let re: RegExp | null;
  try {
    re = new RegExp(perName ? src.split('{name}').join(escapeRegExp(ascii)) : src, 'im');
  } catch {
    re = null; // a broken user-supplied pattern must not fail the lookup; it simply never matches
  }
  if (!perName && compiled.size < 1000) compiled.set(src, re);
  return re;
}

function firstMatch(text: string, sources: readonly string[], ascii: string): string | null {
  for (const src of sources) {
    const re = compile(src, ascii);
    if (!re) continue;
    const m = re.exec(text);
    if (m) {
      const start = text.lastIndexOf('\n', m.index) + 1;
      const end = text.indexOf('\n', m.index);
      return text.slice(start, end < 0 ? undefined : end).trim();
    }
  }
  return null;
}

/**
 * Classifies a complete WHOIS answer. Order matters: rate-limit texts first (they must never read as
 * "not found"), then registration markers (positive evidence wins), then the server's exact not-found texts.
 * A server without not-found patterns can never yield `not-registered`.
 */
export function classifyWhois(text: string, server: WhoisServer, ascii: string): WhoisClass {
  if (text.trim() === '') return { kind: 'empty' };
  const limited = firstMatch(text, [...RATE_LIMIT_PATTERNS, ...(server.rateLimited ?? [])], ascii);
  if (limited !== null) return { kind: 'rate-limited', line: limited };
  const reg = firstMatch(text, server.registered ?? GENERIC_REGISTERED, ascii);
  if (reg !== null) return { kind: 'registered', line: reg };
  const nf = firstMatch(text, server.notFound ?? [], ascii);
  if (nf !== null) return { kind: 'not-registered', line: nf };
  return { kind: 'unrecognised' };
}
