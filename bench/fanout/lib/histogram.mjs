// Latency histogram in microseconds with bounded error: 10 µs buckets below 10 ms, 1 ms buckets below
// 1 s, 100 ms buckets up to 60 s (everything above lands in the last bucket). Plain arrays of counts, so
// load processes can ship them to the runner and the runner can add them up.

const FINE = 1000; // 0..10 ms by 10 µs
const MID = 990; // 10 ms..1 s by 1 ms
const COARSE = 591; // 1 s..60 s by 100 ms
export const BUCKETS = FINE + MID + COARSE;

export function bucketOf(us) {
  if (us < 10_000) return us < 0 ? 0 : Math.floor(us / 10);
  if (us < 1_000_000) return FINE + Math.floor((us - 10_000) / 1000);
  const b = FINE + MID + Math.floor((us - 1_000_000) / 100_000);
  return b < BUCKETS ? b : BUCKETS - 1;
}

/** Upper edge of a bucket, in µs (percentiles are reported conservatively). */
export function bucketUpperUs(b) {
  if (b < FINE) return (b + 1) * 10;
  if (b < FINE + MID) return 10_000 + (b - FINE + 1) * 1000;
  return 1_000_000 + (b - FINE - MID + 1) * 100_000;
}

export function newHistogram() {
  return new Float64Array(BUCKETS);
}

/** Sparse form for IPC: [[bucket, count], …]. */
export function toSparse(h) {
  const out = [];
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) out.push([i, h[i]]);
  return out;
}

export function addSparse(h, sparse) {
  for (const [i, c] of sparse) h[i] += c;
}

/** Percentile (0..100) in milliseconds, or null when empty. */
export function percentileMs(h, p) {
  let total = 0;
  for (let i = 0; i < h.length; i++) total += h[i];
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i];
    if (seen >= rank) return bucketUpperUs(i) / 1000;
  }
  return bucketUpperUs(h.length - 1) / 1000;
}
