// Combines the evidence gathered for one name into a status. Pure. The rules, from the reference:
// positive evidence of registration always wins; "not registered" from RDAP 404 or an exact WHOIS not-found
// text gives available; everything else — NXDOMAIN, timeouts, rate limits, garbage — leaves it unknown.
import { AVAILABLE, TAKEN, UNKNOWN, type Evidence, type Method, type Status } from './types.js';

export type Ending = 'complete' | 'deadline' | 'aborted';

export interface Verdict {
  status: Status;
  reason: string;
  source: Method | null;
}

const TAKEN_REASON: Record<Method, string> = { dns: 'delegated', rdap: 'rdap-registered', whois: 'whois-registered' };
const FREE_REASON: Record<Method, string> = { dns: 'dns-not-found', rdap: 'rdap-not-found', whois: 'whois-not-found' };

export function verdict(evidence: readonly Evidence[], ending: Ending): Verdict {
  const reg = evidence.find((e) => e.outcome === 'registered');
  if (reg) return { status: TAKEN, reason: TAKEN_REASON[reg.method], source: reg.method };
  const free = evidence.find((e) => e.outcome === 'not-registered');
  if (free) return { status: AVAILABLE, reason: FREE_REASON[free.method], source: free.method };
  let reason: string;
  if (ending !== 'complete') reason = ending;
  else if (evidence.length === 0) reason = 'no-method';
  else if (evidence.some((e) => e.outcome === 'rate-limited')) reason = 'rate-limited';
  else if (evidence.some((e) => e.outcome === 'timeout')) reason = 'timeout';
  else if (evidence.some((e) => e.outcome === 'error')) reason = 'error';
  else reason = 'inconclusive';
  return { status: UNKNOWN, reason, source: null };
}

/**
 * Whether running `next` could still change the verdict. Registration evidence is final. After a
 * "not registered" answer only DNS is still worth asking: it is cheap and a delegation would overturn it
 * (positive evidence wins), whereas a second opinion from WHOIS would only cost a rate-limited query.
 */
export function worthAsking(evidence: readonly Evidence[], next: Method): boolean {
  if (evidence.some((e) => e.outcome === 'registered')) return false;
  if (evidence.some((e) => e.outcome === 'not-registered')) return next === 'dns' && !evidence.some((e) => e.method === 'dns');
  return true;
}
