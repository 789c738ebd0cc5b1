#!/usr/bin/env node
/* global AbortSignal */
// Builds data/lookup/rdap-bootstrap.json and data/lookup/whois-servers.json from IANA's published data:
//   - the RDAP bootstrap registry for DNS (https://data.iana.org/rdap/dns.json, RFC 9224),
//   - the TLD list (https://data.iana.org/TLD/tlds-alpha-by-domain.txt),
//   - each TLD's root zone database page (https://www.iana.org/domains/root/db/<tld>.html) for its WHOIS
//     server and name servers.
// Run at release time, never on the lookup path. Every source can be a local file/directory instead of a URL,
// so the generator is testable offline:
//
//   npm run build   # query formats are taken from the compiled whois-patterns module
//   node scripts/lookup/generate-data.mjs [--out data/lookup] [--tlds com,net,...]
//        [--dns-json FILE|URL] [--tld-list FILE|URL] [--root-db DIR|URL] [--date YYYY-MM-DD] [--concurrency 4]
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const IANA = {
  dnsJson: 'https://data.iana.org/rdap/dns.json',
  tldList: 'https://data.iana.org/TLD/tlds-alpha-by-domain.txt',
  rootDb: 'https://www.iana.org/domains/root/db/',
};

async function load(source) {
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.timeout(30_000), headers: { 'user-agent': 'switchboard-lookup-generator' } });
    if (!res.ok) throw new Error(`${source}: HTTP ${res.status}`);
    return res.text();
  }
  return readFile(source, 'utf8');
}

/** Parses IANA's tlds-alpha-by-domain.txt: '#' header line, one upper-case A-label per line. */
export function parseTldList(text) {
  return text
    .split('\n')
    .map((l) => l.trim().toLowerCase())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function stripTags(s) {
  return s.replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * Extracts the WHOIS server and name server host names from one root zone database page. Tolerant of
 * markup changes: it looks for the "WHOIS Server:" label and the first table after a "Name Servers" heading.
 */
export function parseRootDbPage(html) {
  const whois = /WHOIS Server:\s*(?:<\/b>)?\s*([a-z0-9.-]+\.[a-z0-9-]+)/i.exec(html)?.[1]?.toLowerCase();
  const nameservers = [];
  const start = html.search(/Name Servers/i);
  if (start >= 0) {
    const end = html.indexOf('</table>', start);
    const table = html.slice(start, end < 0 ? undefined : end);
    for (const row of table.split(/<tr[^>]*>/i).slice(1)) {
      const cell = /<td[^>]*>([\s\S]*?)<\/td>/i.exec(row)?.[1];
      const host = cell === undefined ? '' : stripTags(cell).toLowerCase().replace(/\.$/, '');
      if (/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host)) nameservers.push(host);
    }
  }
  return { whois: whois || undefined, nameservers };
}

/** Keeps IANA's bootstrap structure and adds our provenance fields. */
export function buildRdap(dnsJson, origin) {
  const doc = JSON.parse(dnsJson);
  if (!Array.isArray(doc.services)) throw new Error('dns.json: no services array');
  return {
    description: doc.description ?? 'RDAP bootstrap file for Domain Name System registrations',
    publication: doc.publication ?? null,
    version: doc.version ?? '1.0',
    origin,
    services: doc.services.map(([tlds, urls]) => [tlds.map((t) => String(t).toLowerCase()), urls]),
  };
}

async function queryFormats() {
  // One source of truth for query formats: the runtime profiles. Optional so the script runs unbuilt.
  try {
    const url = pathToFileURL(resolve('dist/src/lookup/whois-patterns.js')).href;
    const mod = await import(url);
    return Object.fromEntries(Object.entries(mod.WHOIS_PROFILES).filter(([, p]) => p.query).map(([h, p]) => [h, p.query]));
  } catch {
    console.error('note: dist/ not built; query formats are applied at runtime from whois-patterns instead');
    return {};
  }
}

async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

export async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: 'data/lookup' },
      tlds: { type: 'string' },
      'dns-json': { type: 'string', default: IANA.dnsJson },
      'tld-list': { type: 'string', default: IANA.tldList },
      'root-db': { type: 'string', default: IANA.rootDb },
      date: { type: 'string', default: new Date().toISOString().slice(0, 10) },
      concurrency: { type: 'string', default: '4' },
    },
  });
  const rootDb = values['root-db'].endsWith('/') ? values['root-db'] : `${values['root-db']}/`;
  const rdap = buildRdap(await load(values['dns-json']), `generated ${values.date} by scripts/lookup/generate-data.mjs from ${values['dns-json']}`);
  const tlds = values.tlds ? values.tlds.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean) : parseTldList(await load(values['tld-list']));
  const formats = await queryFormats();
  const rows = await mapLimit(tlds, Number(values.concurrency) || 4, async (tld) => {
    try {
      const page = await load(`${rootDb}${tld}.html`);
      return [tld, parseRootDbPage(page)];
    } catch (err) {
      // One missing page must not sink the release; the TLD simply ships without WHOIS/DNS data.
      console.error(`warning: ${tld}: ${err.message}`);
      return [tld, { nameservers: [] }];
    }
  });
  const table = {
    date: values.date,
    origin: `generated ${values.date} by scripts/lookup/generate-data.mjs from ${rootDb} and ${values['tld-list']}`,
    tlds: {},
  };
  for (const [tld, { whois, nameservers }] of rows) {
    const row = {};
    if (whois) row.whois = whois;
    if (whois && formats[whois]) row.query = formats[whois];
    if (nameservers.length > 0) row.nameservers = nameservers;
    table.tlds[tld] = row;
  }
  await mkdir(values.out, { recursive: true });
  await writeFile(join(values.out, 'rdap-bootstrap.json'), `${JSON.stringify(rdap, null, 2)}\n`);
  await writeFile(join(values.out, 'whois-servers.json'), `${JSON.stringify(table, null, 2)}\n`);
  console.error(`wrote ${tlds.length} TLDs (${rows.filter(([, r]) => r.whois).length} with WHOIS) and ${rdap.services.length} RDAP services to ${values.out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
