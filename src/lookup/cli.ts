// `switchboard lookup …`: argument parsing, input gathering and output formatting around checkDomains.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { checkDomains, type CheckOptions } from './check-domains.js';
import { publishEvent, type PublishTarget } from './publish.js';
import { METHODS, type DomainResult, type Method, type ServerLimits, type ServerMap } from './types.js';

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Aborting it acts like Ctrl-C (tests); SIGINT is listened to as well. */
  signal?: AbortSignal;
}

/** Exit codes (documented in docs/lookup.md). */
export const EXIT_OK = 0;
export const EXIT_SOME_UNKNOWN = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

const USAGE = `usage: switchboard lookup [options] [name ...]

Checks domain availability over DNS, RDAP and WHOIS, in parallel.
Names come from the arguments, --file, or stdin ('-' or no names). A name without a dot is expanded
with every TLD of --tlds.

  --tlds com,net,org      TLDs to try for dotless names
  --file PATH             read names from PATH (one per line, '#' comments)
  --format table|json|ndjson   output format (default table; ndjson streams)
  --explain               show the evidence behind each verdict
  --timeout SECONDS       deadline for the whole batch (default 30)
  --concurrency N         requests in flight across all servers (default 64)
  --methods dns,rdap,whois   default method order
  --servers FILE          JSON server map merged over the shipped data
  --no-shipped-data       use only --servers, not the shipped TLD data (offline tests, private registries)
  --server-limit HOST=N[:MS]   at most N requests at once to HOST (or HOST:PORT, RDAP: URL host), starts at
                          least MS apart; repeatable (defaults: dns 16, rdap 4, whois 2:100)
  --publish CHANNEL       POST each result to a Switchboard channel (needs --api-url --app-id --key --secret)
  --api-url URL --app-id ID --key KEY --secret SECRET
  -h, --help

Progress (done/total, elapsed) goes to stderr when it is a terminal.
Exit: 0 every name answered (available or taken), 1 some unknown or invalid, 2 usage error, 130 interrupted.
`;

class UsageError extends Error {}

const STATUS_TEXT: Record<number, string> = { 1: 'available', 0: 'taken', [-1]: 'unknown' };

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function splitNames(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .flatMap((l) => l.split(/[\s,]+/))
    .filter((s) => s !== '');
}

function list(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim().replace(/^\./, '')).filter((s) => s !== '');
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${flag} must be a positive integer`);
  return Number(v);
}

function write(stream: NodeJS.WritableStream, s: string): void {
  stream.write(s);
}

function tableRow(r: DomainResult, width: number): string {
  const name = r.unicode && r.unicode !== r.ascii ? `${r.unicode} (${r.ascii})` : r.domain;
  return `${name.padEnd(width)}  ${(STATUS_TEXT[r.status] ?? '?').padEnd(9)}  ${(r.source ?? '-').padEnd(5)}  ${r.reason.padEnd(18)}  ${r.ms}ms\n`;
}

function explainLines(r: DomainResult): string {
  return r.evidence
    .map((e) => `    ${e.method} ${e.server}: ${e.outcome} (${e.detail}, ${e.ms}ms)${e.text ? `\n      ${e.text.replace(/\n/g, '\n      ')}` : ''}\n`)
    .join('');
}

/**
 * Runs the lookup command. Never throws; returns the exit code. Output goes to io.stdout (results) and
 * io.stderr (usage, warnings). On Ctrl-C the batch is aborted, finished results are still printed, and 130 is
 * returned.
 */
export async function runLookupCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        tlds: { type: 'string' },
        file: { type: 'string' },
        format: { type: 'string', default: 'table' },
        explain: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        concurrency: { type: 'string' },
        methods: { type: 'string' },
        servers: { type: 'string' },
        'no-shipped-data': { type: 'boolean', default: false },
        'server-limit': { type: 'string', multiple: true },
        publish: { type: 'string' },
        'api-url': { type: 'string' },
        'app-id': { type: 'string' },
        key: { type: 'string' },
        secret: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    write(io.stderr, `${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const v = parsed.values;
  if (v.help) {
    write(io.stdout, USAGE);
    return EXIT_OK;
  }

  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort(new Error('interrupted'));
  const onIoAbort = (): void => interrupt.abort(io.signal?.reason);
  process.once('SIGINT', onSigint);
  io.signal?.addEventListener('abort', onIoAbort, { once: true });
  let progress: Progress | undefined;
  try {
    const format = v.format ?? 'table';
    if (!['table', 'json', 'ndjson'].includes(format)) throw new UsageError(`--format must be table, json or ndjson`);
    let timeoutMs: number | undefined;
    if (v.timeout !== undefined) {
      const t = Number(v.timeout);
      if (!Number.isFinite(t) || t <= 0) throw new UsageError('--timeout must be a positive number of seconds');
      timeoutMs = Math.round(t * 1000);
    }
    const concurrency = positiveInt(v.concurrency, '--concurrency');
    let methods: Method[] | undefined;
    if (v.methods !== undefined) {
      methods = list(v.methods) as Method[];
      if (methods.length === 0 || methods.some((m) => !METHODS.includes(m))) throw new UsageError('--methods takes dns, rdap, whois');
    }
    let servers: ServerMap | undefined;
    if (v.servers !== undefined) {
      try {
        const parsedMap: unknown = JSON.parse(await readFile(v.servers, 'utf8'));
        if (parsedMap === null || typeof parsedMap !== 'object' || Array.isArray(parsedMap)) throw new Error('not an object');
        servers = parsedMap as ServerMap;
      } catch (err) {
        throw new UsageError(`--servers ${v.servers}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (v['no-shipped-data'] && servers === undefined) throw new UsageError('--no-shipped-data needs --servers (nothing else says where to ask)');
    const serverLimits = parseServerLimits(v['server-limit'] ?? []);
    let publish: PublishTarget | undefined;
    if (v.publish !== undefined) {
      const missing = (['api-url', 'app-id', 'key', 'secret'] as const).filter((k) => !v[k]);
      if (missing.length > 0) throw new UsageError(`--publish needs ${missing.map((m) => `--${m}`).join(' ')}`);
      publish = { apiUrl: v['api-url'] as string, appId: v['app-id'] as string, key: v.key as string, secret: v.secret as string, channel: v.publish };
    }

    const raw: string[] = [];
    const positionals = parsed.positionals.filter((p) => p !== '-');
    raw.push(...positionals);
    if (v.file !== undefined) {
      try {
        raw.push(...splitNames(await readFile(v.file, 'utf8')));
      } catch (err) {
        throw new UsageError(`--file ${v.file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (parsed.positionals.includes('-') || (positionals.length === 0 && v.file === undefined)) {
      // Waiting on an interactive terminal for names nobody is going to type helps no one.
      if ((io.stdin as { isTTY?: boolean }).isTTY) throw new UsageError('no names given (pass names, --file, or pipe them to stdin)');
      raw.push(...splitNames(await readAll(io.stdin)));
    }
    const tlds = list(v.tlds);
    const names = raw.flatMap((n) => (tlds.length > 0 && !n.replace(/[\u3002\uFF0E\uFF61]/g, '.').replace(/\.$/, '').includes('.') ? tlds.map((t) => `${n}.${t}`) : [n]));
    if (names.length === 0) throw new UsageError('no names given');

    const options: CheckOptions = { signal: interrupt.signal };
    if (timeoutMs !== undefined) options.deadlineMs = timeoutMs;
    if (concurrency !== undefined) options.concurrency = concurrency;
    if (methods) options.methods = methods;
    if (servers) options.servers = servers;
    if (v['no-shipped-data']) options.shippedData = false;
    if (serverLimits) options.serverLimits = serverLimits;

    const width = Math.min(60, Math.max(6, ...names.map((n) => n.length + 2)));
    if (format === 'table') write(io.stdout, `${'DOMAIN'.padEnd(width)}  ${'STATUS'.padEnd(9)}  SOURCE ${'REASON'.padEnd(18)}  TIME\n`);
    let publishing: Promise<void> = Promise.resolve();
    let publishFailures = 0;
    progress = new Progress(io.stderr, names.length);
    const batch = checkDomains(names, options);
    for await (const { result } of batch) {
      progress.clear();
      if (format === 'ndjson') write(io.stdout, `${JSON.stringify(result)}\n`);
      else if (format === 'table') write(io.stdout, tableRow(result, width) + (v.explain ? explainLines(result) : ''));
      progress.done++;
      progress.draw();
      if (publish) {
        const target = publish;
        // Chained so events reach the channel in completion order, without holding up the lookups.
        publishing = publishing.then(() =>
          publishEvent(target, 'lookup-result', JSON.stringify(result)).catch((err: unknown) => {
            publishFailures++;
            write(io.stderr, `warning: ${err instanceof Error ? err.message : String(err)}\n`);
          }),
        );
      }
    }
    const results = await batch;
    progress.stop();
    if (format === 'json') write(io.stdout, `${JSON.stringify(results, null, 2)}\n`);
    if (!interrupt.signal.aborted && nothingReached(results)) {
      write(io.stderr, 'hint: no server could be reached: every lookup failed to resolve a server name or to connect. Is this machine offline (or its DNS broken)? --explain shows each attempt.\n');
    }
    await publishing;
    if (interrupt.signal.aborted) return EXIT_INTERRUPTED;
    if (publishFailures > 0) return EXIT_SOME_UNKNOWN;
    return results.every((r) => r.status !== -1) ? EXIT_OK : EXIT_SOME_UNKNOWN;
  } catch (err) {
    if (err instanceof UsageError) {
      write(io.stderr, `${err.message}\n${USAGE}`);
      return EXIT_USAGE;
    }
    write(io.stderr, `error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_SOME_UNKNOWN;
  } finally {
    progress?.stop();
    process.removeListener('SIGINT', onSigint);
    io.signal?.removeEventListener('abort', onIoAbort);
  }
}

/** `HOST=N[:MS]` flags → per-server limits for checkDomains. */
function parseServerLimits(flags: readonly string[]): Record<string, Partial<ServerLimits>> | undefined {
  if (flags.length === 0) return undefined;
  const limits: Record<string, Partial<ServerLimits>> = Object.create(null) as Record<string, Partial<ServerLimits>>;
  for (const flag of flags) {
    const m = /^([^=\s]+)=(\d+)(?::(\d+))?$/.exec(flag.trim());
    if (!m || Number(m[2]) < 1) throw new UsageError(`--server-limit ${flag}: expected HOST=N or HOST=N:MS, N at least 1 (e.g. whois.denic.de=1:1000)`);
    limits[(m[1] as string).toLowerCase()] = { concurrency: Number(m[2]), ...(m[3] !== undefined ? { spacingMs: Number(m[3]) } : {}) };
  }
  return limits;
}

/** Failures that mean the server was never reached: its name did not resolve or nothing answered the connect. */
const UNREACHED = new Set(['enotfound', 'eai_again', 'econnrefused', 'enetunreach', 'ehostunreach', 'eaddrnotavail', 'enetdown', 'connect-timeout', 'no-udp-answer']);

/** True when names were looked up and not one attempt reached its server. */
function nothingReached(results: readonly DomainResult[]): boolean {
  const attempts = results.flatMap((r) => r.evidence);
  return attempts.length > 0 && attempts.every((e) => (e.outcome === 'error' || e.outcome === 'timeout') && UNREACHED.has(e.detail));
}

/**
 * `[12/40] 3.2s` on stderr while a batch runs, when stderr is a terminal: redrawn in place (four times a
 * second and on each result), cleared before each result row so the two never mix on one line.
 */
class Progress {
  done = 0;
  private readonly started = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly total: number,
  ) {
    if ((stream as { isTTY?: boolean }).isTTY !== true) return;
    this.timer = setInterval(() => this.draw(), 250);
    this.timer.unref();
    this.draw();
  }

  draw(): void {
    if (this.timer === undefined) return;
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    this.stream.write(`\r\x1b[K[${this.done}/${this.total}] ${seconds}s`);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[K');
    this.shown = false;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }
}
