import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { Errors, type ErrorKind } from '../../src/protocol/errors.js';

/**
 * The catalogue (src/protocol/errors.ts) is the only error vocabulary: docs/errors.md lists exactly
 * its kinds with their codes, every kind is used, and no close code or HTTP error status is written
 * as a literal anywhere else in src/.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const kinds: readonly ErrorKind[] = Object.values(Errors);

interface DocRow {
  readonly id: string;
  readonly wsCode: number | undefined;
  readonly httpStatus: number | undefined;
  readonly subscriptionType: string | undefined;
  readonly when: string;
  readonly todo: string;
}

function docRows(): DocRow[] {
  const lines = readFileSync(join(root, 'docs/errors.md'), 'utf8').split('\n');
  const header = lines.findIndex((l) => l.startsWith('| Kind |'));
  assert.ok(header >= 0, 'docs/errors.md has the table');
  const rows: DocRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    assert.equal(cells.length, 6, `six cells in: ${line}`);
    const [id, ws, http, type, when, todo] = cells as [string, string, string, string, string, string];
    const number = (cell: string): number | undefined => (cell === '—' ? undefined : Number(cell));
    rows.push({ id, wsCode: number(ws), httpStatus: number(http), subscriptionType: type === '—' ? undefined : type, when, todo });
  }
  return rows;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** src/ files that must speak only through the catalogue: all but the catalogue and `lookup`. */
function checkedFiles(): string[] {
  return sourceFiles(join(root, 'src')).filter((f) => {
    const rel = relative(root, f);
    // lookup is independent of the gateway: it reads statuses of RDAP servers, it sends none.
    return rel !== join('src', 'protocol', 'errors.ts') && !rel.startsWith(join('src', 'lookup'));
  });
}

/**
 * The numbers that are codes: the catalogue's own, every HTTP error status, the WebSocket close codes
 * other than 1000 (a thousand milliseconds), and the Pusher close codes 4000–4399 that are not
 * powers of two (4096 is a size).
 */
const CODES = new Set<number>([
  ...kinds.flatMap((k) => [k.wsCode, k.httpStatus].filter((c): c is number => c !== undefined)),
  ...Object.keys(STATUS_CODES).map(Number).filter((s) => s >= 400),
  ...Array.from({ length: 15 }, (_, i) => 1001 + i),
  ...Array.from({ length: 400 }, (_, i) => 4000 + i).filter((n) => n !== 4096),
]);

/** A number among several in an array literal (histogram buckets) is not a code. */
function inNumberList(node: ts.Node): boolean {
  const parent = node.parent;
  return ts.isArrayLiteralExpression(parent) && parent.elements.filter((e) => ts.isNumericLiteral(e)).length >= 3;
}

/** Numeric literals that look like codes, and status lines written out, with their positions. */
export function codeLiterals(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node): string => `${fileName}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isNumericLiteral(node) && CODES.has(Number(node.text)) && !inNumberList(node)) found.push(`${at(node)} ${node.text}`);
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) && /HTTP\/1\.[01] \d{3}/.test(node.text)) {
      found.push(`${at(node)} ${JSON.stringify(node.text.slice(0, 40))}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('error catalogue', () => {
  it('docs/errors.md lists every kind with its codes, and nothing else', () => {
    const rows = docRows();
    const byId = new Map(rows.map((r) => [r.id, r]));
    assert.equal(byId.size, rows.length, 'each kind once in the doc');
    for (const kind of kinds) {
      const row = byId.get(kind.id);
      assert.ok(row, `${kind.id} is missing from docs/errors.md`);
      assert.equal(row.wsCode, kind.wsCode, `${kind.id}: ws code`);
      assert.equal(row.httpStatus, kind.httpStatus, `${kind.id}: HTTP status`);
      assert.equal(row.subscriptionType, kind.subscriptionType, `${kind.id}: subscription type`);
      assert.ok(row.when.length > 10 && row.todo.length > 5, `${kind.id}: says when it happens and what to do`);
    }
    const ids = new Set(kinds.map((k) => k.id));
    for (const row of rows) assert.ok(ids.has(row.id), `docs/errors.md lists ${row.id}, which the catalogue does not have`);
  });

  it('every key of Errors is its own id', () => {
    for (const [key, kind] of Object.entries(Errors)) assert.equal(kind.id, key);
  });

  it('every kind is used outside the catalogue', () => {
    const text = sourceFiles(join(root, 'src'))
      .filter((f) => !f.endsWith(join('protocol', 'errors.ts')))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = kinds.filter((k) => !new RegExp(`\\bErrors\\.${k.id}\\b`).test(text)).map((k) => k.id);
    assert.deepEqual(unused, [], 'kinds nobody uses: use them or remove them');
  });

  it('no close code or HTTP error status is written as a literal outside the catalogue', () => {
    const found = checkedFiles().flatMap((f) => codeLiterals(relative(root, f), readFileSync(f, 'utf8')));
    assert.deepEqual(found, []);
  });

  it('the literal check catches what it is meant to', () => {
    assert.equal(codeLiterals('probe.ts', 'conn.link.close(4009, "x"); res.writeHead(503);').length, 2);
    assert.equal(codeLiterals('probe.ts', "socket.end('HTTP/1.1 400 Bad Request\\r\\n\\r\\n');").length, 1);
    assert.equal(codeLiterals('probe.ts', 'const limit = 4096; const ms = 1000; res.writeHead(200); const buckets = [5, 100, 500];').length, 0);
    assert.equal(codeLiterals('probe.ts', 'if (status >= 500) log(); ws.close(1008);').length, 2);
  });
});
