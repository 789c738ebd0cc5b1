import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServerMap, type RdapBootstrap, type WhoisTable } from '../../src/lookup/index.js';

const dir = mkdtempSync(join(tmpdir(), 'lookup-gen-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Shaped like IANA's root zone database pages (label in <b>, name servers in the first table after the heading).
const page = (whois: string | null, ns: string[]): string => `<html><body><article>
<h2>Registry Information</h2><p><b>URL for registration services:</b> <a href="https://example">x</a><br>
${whois ? `<b>WHOIS Server:</b> ${whois}<br>` : ''}<b>RDAP Server:</b> </p>
<h2>Name Servers</h2><table class="iana-table"><thead><tr><th>Host Name</th><th>IP Address(es)</th></tr></thead><tbody>
${ns.map((h) => `<tr><td>${h}</td><td>192.0.2.1<br/>2001:db8::1</td></tr>`).join('\n')}
</tbody></table><p>Record last updated 2026-01-01.</p></article></body></html>`;

test('generator builds both data files from local IANA-shaped inputs, with dates and query formats', () => {
  const db = join(dir, 'db');
  mkdirSync(db);
  writeFileSync(join(db, 'com.html'), page('whois.verisign-grs.com', ['a.gtld-servers.net', 'b.gtld-servers.net']));
  writeFileSync(join(db, 'de.html'), page('whois.denic.de', ['a.nic.de']));
  writeFileSync(join(db, 'zz.html'), page(null, []));
  writeFileSync(join(dir, 'tlds.txt'), '# Version 2026112500, Last Updated Wed Nov 25 07:07:01 2026 UTC\nCOM\nDE\nZZ\nMISSING\n');
  writeFileSync(join(dir, 'dns.json'), JSON.stringify({ description: 'RDAP bootstrap', publication: '2026-11-20T18:00:01Z', version: '1.0', services: [[['COM'], ['https://rdap.verisign.com/com/v1/']]] }));
  const out = join(dir, 'out');
  const res = spawnSync(process.execPath, ['scripts/lookup/generate-data.mjs', '--out', out, '--dns-json', join(dir, 'dns.json'), '--tld-list', join(dir, 'tlds.txt'), '--root-db', db, '--date', '2026-11-25'], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stderr, /warning: missing/);
  const whois = JSON.parse(readFileSync(join(out, 'whois-servers.json'), 'utf8')) as WhoisTable;
  const rdap = JSON.parse(readFileSync(join(out, 'rdap-bootstrap.json'), 'utf8')) as RdapBootstrap;
  assert.equal(whois.date, '2026-11-25');
  assert.match(whois.origin, /generate-data\.mjs/);
  assert.deepEqual(whois.tlds.com, { whois: 'whois.verisign-grs.com', query: 'domain {name}', nameservers: ['a.gtld-servers.net', 'b.gtld-servers.net'] });
  assert.deepEqual(whois.tlds.de, { whois: 'whois.denic.de', query: '-T dn,ace {name}', nameservers: ['a.nic.de'] });
  assert.deepEqual(whois.tlds.zz, {});
  assert.equal(rdap.publication, '2026-11-20T18:00:01Z');
  const map = buildServerMap(whois, rdap);
  assert.deepEqual(map.com?.rdap, ['https://rdap.verisign.com/com/v1/']);
  assert.deepEqual(map.com?.dns?.map((d) => d.host), ['a.gtld-servers.net', 'b.gtld-servers.net']);
  assert.equal(map.de?.whois?.query, '-T dn,ace {name}');
});

test('the committed snapshot says where it came from and how to regenerate it', () => {
  const whois = JSON.parse(readFileSync('data/lookup/whois-servers.json', 'utf8')) as WhoisTable;
  const rdap = JSON.parse(readFileSync('data/lookup/rdap-bootstrap.json', 'utf8')) as RdapBootstrap;
  assert.match(whois.origin, /curated snapshot; regenerate with scripts\/lookup\/generate-data\.mjs/);
  assert.match(rdap.origin ?? '', /regenerate with scripts\/lookup\/generate-data\.mjs/);
  assert.ok(Object.keys(whois.tlds).length >= 30);
});
