// Deadline plumbing shared by the protocol clients. Every network attempt runs under one AbortSignal that
// fires on the caller's abort or on the attempt's total deadline, whichever comes first, so no attempt can
// outlive its budget however the server behaves (drips, hangs, redirect chains).
import type { Evidence, Outcome } from './types.js';

/** Thrown (as an abort reason) when an attempt's own deadline expires. */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
  constructor(readonly phase: 'connect' | 'idle' | 'total') {
    super(`${phase} deadline exceeded`);
  }
}

export interface Attempt {
  signal: AbortSignal;
  /** Clears the timer and detaches from the parent; call exactly once when the attempt ends. */
  done(): void;
}

/** A child signal aborted by `parent` or after `totalMs`, whichever first. */
export function startAttempt(parent: AbortSignal | undefined, totalMs: number): Attempt {
  const ac = new AbortController();
  const onParent = (): void => ac.abort(parent?.reason);
  if (parent?.aborted) ac.abort(parent.reason);
  else parent?.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => ac.abort(new DeadlineError('total')), Math.max(0, totalMs));
  return {
    signal: ac.signal,
    done() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/** A protocol client's conclusion before timing is attached. */
export type Probe = Omit<Evidence, 'ms'> & {
  /** Server asked us to wait this long before the next request (Retry-After, rate-limit text), or went silent. */
  backoffMs?: number;
};

/** Maps an abort reason / socket error to an outcome, so callers never see a thrown error. */
export function failureProbe(method: Evidence['method'], server: string, err: unknown): Probe {
  if (err instanceof DeadlineError) return { method, server, outcome: 'timeout', detail: `${err.phase}-timeout` };
  const name = err instanceof Error ? err.name : '';
  if (name === 'AbortError' || name === 'BatchAbort') return { method, server, outcome: 'error', detail: 'aborted' };
  const code = (err as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code.toLowerCase() : err instanceof Error ? err.message : String(err);
  const outcome: Outcome = 'error';
  return { method, server, outcome, detail: detail.slice(0, 120) };
}

/** Keeps registry text short in results. */
export function clip(text: string, max = 500): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
