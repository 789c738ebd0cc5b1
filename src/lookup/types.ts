// Shared vocabulary of the lookup module. Pure types and a few constants: no I/O.

/** 1 = available, 0 = taken, -1 = unknown or error (never a guess: unknown is the default). */
export type Status = 1 | 0 | -1;

export const AVAILABLE: Status = 1;
export const TAKEN: Status = 0;
export const UNKNOWN: Status = -1;

export type Method = 'dns' | 'rdap' | 'whois';
export const METHODS: readonly Method[] = ['dns', 'rdap', 'whois'];

/** What one method concluded about one name. Only `registered` and `not-registered` are conclusive. */
export type Outcome =
  | 'registered' // positive evidence the name exists in the registry (delegation, RDAP 200, WHOIS record)
  | 'not-registered' // the registry said it has no such name (RDAP 404, exact WHOIS not-found text)
  | 'inconclusive' // an answer that proves nothing (NXDOMAIN, NODATA, WHOIS text matching no pattern)
  | 'rate-limited'
  | 'timeout'
  | 'error'
  | 'skipped';

/** One step of the reasoning behind a verdict; `--explain` prints these. */
export interface Evidence {
  method: Method;
  /** host[:port] or URL actually asked. */
  server: string;
  outcome: Outcome;
  /** Short machine-readable detail, e.g. `referral`, `nxdomain`, `http-404`, `pattern:No match for`. */
  detail: string;
  /** Registry-provided text worth keeping: RDAP notices, the WHOIS line that matched. Truncated. */
  text?: string;
  ms: number;
}

export interface DomainResult {
  /** The input as given (trimmed). */
  domain: string;
  /** ASCII (A-label) form after UTS-46 normalisation, or '' when the input is invalid. */
  ascii: string;
  /** Unicode (U-label) form, equal to `ascii` for pure-ASCII names. */
  unicode: string;
  status: Status;
  /** Why: `delegated`, `rdap-registered`, `rdap-not-found`, `whois-registered`, `whois-not-found`,
   *  `invalid:<why>`, `rate-limited`, `timeout`, `no-answer`, `aborted`, `deadline`, `no-method`. */
  reason: string;
  /** Method that decided the status, `input` for invalid names, null when nothing decided. */
  source: Method | 'input' | null;
  evidence: Evidence[];
  /** Wall time spent on this name (0 for invalid input). */
  ms: number;
}

/** Server endpoints for one TLD (or registry suffix such as `co.uk`). All fields optional. */
export interface WhoisServer {
  host: string;
  port?: number;
  /** Query line template; `{name}` is replaced by the ASCII name. Default `{name}`. CRLF is appended. */
  query?: string;
  /** Regex sources (case-insensitive, multiline) proving the name is NOT registered. Without any, WHOIS can
   *  never report `available` for this server. */
  notFound?: string[];
  /** Regex sources proving the name IS registered; a generic set is used when absent. */
  registered?: string[];
  /** Extra rate-limit regex sources, added to the built-in ones. */
  rateLimited?: string[];
}

export interface DnsServer {
  /** IP address or host name (resolved once through the system resolver and cached). */
  host: string;
  port?: number;
}

export interface TldServers {
  dns?: DnsServer[];
  /** RDAP base URLs, each ending in `/`. */
  rdap?: string[];
  whois?: WhoisServer;
  /** Method order for this TLD; default `['dns', 'rdap', 'whois']`. Leave `dns` out for wildcard TLDs. */
  methods?: Method[];
}

/** TLD (lower-case ASCII, no dot) or suffix → servers. The longest matching suffix of a name wins. */
export type ServerMap = Record<string, TldServers>;

export interface ServerLimits {
  /** Concurrent requests to one server. */
  concurrency: number;
  /** Minimum gap between the starts of two requests to one server. */
  spacingMs: number;
}

export interface Deadlines {
  /** TCP connect / TLS handshake. */
  connectMs: number;
  /** Longest silence while waiting for bytes. */
  idleMs: number;
  /** Whole attempt, redirects and retries included. */
  totalMs: number;
}
