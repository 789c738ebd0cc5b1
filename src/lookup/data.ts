// Loads the shipped, dated data snapshots (RDAP bootstrap + TLD → WHOIS/nameserver table) from the package
// and turns them into a ServerMap. Read from disk once per process; never fetched at lookup time.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withProfile } from './whois-patterns.js';
import type { ServerMap, TldServers } from './types.js';

/** Shape of data/lookup/rdap-bootstrap.json: IANA's dns.json plus our provenance fields. */
export interface RdapBootstrap {
  description?: string;
  publication?: string;
  origin?: string;
  services: [string[], string[]][];
}

/** Shape of data/lookup/whois-servers.json. */
export interface WhoisTable {
  date: string;
  origin: string;
  note?: string;
  tlds: Record<string, { whois?: string; query?: string; nameservers?: string[] }>;
}

// From dist/src/lookup/ the data is three levels up; from src/lookup/ (TS loaders) two. Try both so the same
// module works compiled or not.
const CANDIDATES = ['../../../data/lookup/', '../../data/lookup/'];

export function dataDir(): string {
  for (const rel of CANDIDATES) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}whois-servers.json`)) return dir;
  }
  throw new Error('lookup data not found: data/lookup/whois-servers.json is missing from the package');
}

let cached: { map: ServerMap; whoisDate: string; rdapDate: string } | undefined;

/** Builds a ServerMap from the two snapshot documents (exported for the generator's tests). */
export function buildServerMap(whois: WhoisTable, rdap: RdapBootstrap): ServerMap {
  const map: ServerMap = Object.create(null) as ServerMap;
  const entry = (tld: string): TldServers => (map[tld] ??= {});
  for (const [tld, row] of Object.entries(whois.tlds)) {
    const e = entry(tld.toLowerCase());
    if (row.whois) e.whois = withProfile({ host: row.whois, ...(row.query ? { query: row.query } : {}) });
    if (row.nameservers?.length) e.dns = row.nameservers.map((host) => ({ host }));
  }
  for (const [tlds, urls] of rdap.services) {
    const https = urls.filter((u) => u.startsWith('https://'));
    for (const tld of tlds) entry(tld.toLowerCase()).rdap = https.length > 0 ? https : urls;
  }
  return map;
}

/** The shipped server map plus the dates of the data it came from. Cached; callers must not mutate it. */
export function shippedData(): { map: ServerMap; whoisDate: string; rdapDate: string } {
  if (!cached) {
    const dir = dataDir();
    const whois = JSON.parse(readFileSync(`${dir}whois-servers.json`, 'utf8')) as WhoisTable;
    const rdap = JSON.parse(readFileSync(`${dir}rdap-bootstrap.json`, 'utf8')) as RdapBootstrap;
    cached = { map: buildServerMap(whois, rdap), whoisDate: whois.date, rdapDate: rdap.publication ?? 'unknown' };
  }
  return cached;
}
