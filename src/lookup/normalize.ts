// Input normalisation and validation for domain names. Pure: no I/O, so invalid input never causes traffic.
import { domainToASCII, domainToUnicode } from 'node:url';

export type Normalized =
  | { ok: true; ascii: string; unicode: string; labels: string[] }
  | { ok: false; reason: string };

// Ideographic full stop, full-width full stop, half-width ideographic full stop: UTS-46 maps them to '.',
// but we map them first so our own checks (empty labels, trailing dot) see the real structure.
const DOT_VARIANTS = /[\u3002\uFF0E\uFF61]/g;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const IPV4ISH = /^[0-9.]+$/;

export const MAX_NAME = 253;
export const MAX_LABEL = 63;

/**
 * Normalises one user-supplied name: trims, maps dot variants, drops one trailing dot, applies UTS-46
 * non-transitional processing (Node's `url.domainToASCII`: `ß` stays `ß`, so `faß.de` → `xn--fa-hia.de`),
 * lower-cases, and validates the ASCII result as a hostname of at least two LDH labels.
 * Guarantees: `ok: true` ⇒ `ascii` is ≤ 253 octets, every label 1..63 LDH octets without leading/trailing
 * hyphen, `--` in positions 3–4 only for valid `xn--` labels, and `unicode` is its U-label form.
 */
export function normalizeDomain(input: string): Normalized {
  let s = input.trim().replace(DOT_VARIANTS, '.');
  if (s === '') return { ok: false, reason: 'empty' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /[/?#@\\]/.test(s)) return { ok: false, reason: 'url' };
  if (s.includes(':') || s.startsWith('[')) return { ok: false, reason: 'ip-address' };
  if (/\s/.test(s)) return { ok: false, reason: 'whitespace' };
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s === '' || s.startsWith('.') || s.includes('..')) return { ok: false, reason: 'empty-label' };
  if (IPV4ISH.test(s)) return { ok: false, reason: 'ip-address' };
  // Checked before UTS-46: the WHATWG host parser would treat a numeric last label as an IPv4 attempt.
  if (/(?:^|\.)[0-9]+$/.test(s)) return { ok: false, reason: 'numeric-tld' };
  const ascii = domainToASCII(s).toLowerCase();
  if (ascii === '') return { ok: false, reason: 'idna' };
  if (ascii.length > MAX_NAME) return { ok: false, reason: 'name-too-long' };
  const labels = ascii.split('.');
  if (labels.length < 2) return { ok: false, reason: 'single-label' };
  for (const label of labels) {
    if (label.length === 0) return { ok: false, reason: 'empty-label' };
    if (label.length > MAX_LABEL) return { ok: false, reason: 'label-too-long' };
    if (!LDH_LABEL.test(label)) {
      return { ok: false, reason: label.startsWith('-') || label.endsWith('-') ? 'bad-hyphen' : 'bad-character' };
    }
    // UTS-46 CheckHyphens: '--' in positions 3-4 is reserved for A-labels (which domainToASCII verified).
    if (label.slice(2, 4) === '--' && !label.startsWith('xn--')) return { ok: false, reason: 'bad-hyphen' };
  }
  return { ok: true, ascii, unicode: domainToUnicode(ascii), labels };
}
