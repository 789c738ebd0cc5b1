// Turns the raw runs into results.md: medians over runs, ratios against soketi, and the targets.

const REF = 'soketi';

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const fmtK = (x) => (x == null ? 'n/a' : x >= 10_000 ? `${(x / 1000).toFixed(0)}k` : `${(x / 1000).toFixed(1)}k`);
const fmtMs = (x) => (x == null ? 'n/a' : x < 10 ? x.toFixed(2) : x.toFixed(0));
const fmtPct = (x) => (x == null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const fmtRatio = (x) => (x == null || !Number.isFinite(x) ? 'n/a' : `${x.toFixed(2)}×`);
const fmtUs = (x) => (x == null ? 'n/a' : x.toFixed(1));
const fmtCpu = (x) => (x == null ? 'n/a' : `${Math.round(x * 100)}%`);
const fmtB = (x) => (x == null ? 'n/a' : `${Math.round(x)} B (${(x / 1024).toFixed(1)} KiB)`);
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);

/** Median of `pick(runResult)` over runs for one peer; plus the per-run values. */
function stat(runs, peer, pick) {
  const values = runs.map((r) => {
    try {
      const v = pick(r[peer]);
      return typeof v === 'number' ? v : null;
    } catch {
      return null;
    }
  });
  return { med: median(values), values };
}

const perRun = (values, f) => values.map((v) => (v == null ? '–' : f(v))).join(' / ');

/**
 * What 1.5× soketi in (c) would take, from the measured CPU per delivery: each delivery is a write of
 * its own, so the kernel's share (the lowest sys of any peer) is a floor, and the least user time of
 * a Node peer is what the plainest Node code needs on top of it.
 */
function channelsFloor(peers, S) {
  const soketi = S[REF]?.c;
  if (!soketi || soketi.userUs.med == null || soketi.sysUs.med == null) return null;
  const node = peers.filter((p) => p !== REF && S[p].c.userUs.med != null);
  if (node.length === 0) return null;
  const sys = Math.min(...peers.map((p) => S[p].c.sysUs.med).filter((x) => x != null));
  const leanest = node.reduce((a, b) => (S[b].c.userUs.med < S[a].c.userUs.med ? b : a));
  const soketiUs = soketi.userUs.med + soketi.sysUs.med;
  const budget = soketiUs / 1.5;
  return (
    `What 1.5× soketi takes here: soketi spends ${fmtUs(soketiUs)} µs of CPU per delivery, so 1.5× its rate means ≤ ${fmtUs(budget)} µs. ` +
    `The kernel's work for one write is ≥ ${fmtUs(sys)} µs (the lowest sys of all peers), which leaves ≤ ${fmtUs(budget - sys)} µs of user time per delivery ` +
    `for HTTP, JSON, framing and the write call; the leanest Node peer (${leanest}) needs ${fmtUs(S[leanest].c.userUs.med)} µs.`
  );
}

export function summarize(meta, runs) {
  const peers = meta.peers;
  const S = {};
  for (const p of peers) {
    S[p] = {
      a: meta.config.steady.rates.map((rate, i) => ({
        rate,
        delivered: stat(runs, p, (r) => r.a[i].deliveriesPerSec),
        fraction: stat(runs, p, (r) => r.a[i].deliveredFraction),
        p50: stat(runs, p, (r) => r.a[i].p50),
        p99: stat(runs, p, (r) => r.a[i].p99),
        cpu: stat(runs, p, (r) => r.a[i].serverCore),
        loadCpu: stat(runs, p, (r) => r.a[i].loadCore),
        others: stat(runs, p, (r) => r.a[i].foreignCpu),
      })),
      b: {
        rate: stat(runs, p, (r) => r.b.deliveriesPerSec),
        ms: stat(runs, p, (r) => r.b.elapsedMs),
        fraction: stat(runs, p, (r) => r.b.deliveredFraction),
        cpu: stat(runs, p, (r) => r.b.serverCore),
        loadCpu: stat(runs, p, (r) => r.b.loadCore),
        others: stat(runs, p, (r) => r.b.foreignCpu),
      },
      c: {
        rate: stat(runs, p, (r) => r.c.deliveriesPerSec),
        fraction: stat(runs, p, (r) => r.c.deliveredFraction),
        userUs: stat(runs, p, (r) => r.c.userUsPerDelivery),
        sysUs: stat(runs, p, (r) => r.c.sysUsPerDelivery),
        p99: stat(runs, p, (r) => r.c.p99),
        cpu: stat(runs, p, (r) => r.c.serverCore),
        loadCpu: stat(runs, p, (r) => r.c.loadCore),
        others: stat(runs, p, (r) => r.c.foreignCpu),
      },
      d: {
        connected: stat(runs, p, (r) => r.d.bytesPerConnected),
        subscribed: stat(runs, p, (r) => r.d.bytesPerSubscribed),
      },
      errors: runs.map((r) => r[p] && r[p].error).filter(Boolean),
    };
  }
  return S;
}

export function writeReport(meta, runs) {
  const S = summarize(meta, runs);
  const peers = meta.peers;
  const ref = S[REF];
  const L = [];
  L.push('# Fan-out benchmark results', '');
  L.push(`- date: ${meta.date}`);
  L.push(`- machine: \`nproc --all\` = ${meta.nproc} (${meta.cpu}), ${meta.memGiB} GiB RAM; node ${meta.node}`);
  L.push(`- command (in bench/fanout): \`${meta.command}\` — ${runs.length} run(s), ${meta.durationS} s in all`);
  L.push(`- servers pinned to core 0 (\`taskset -c 0\`); ${meta.loadProcs} load processes and the publisher on core 1; all traffic on 127.0.0.1`);
  L.push(`- every figure is the median over runs (per-run values in the "runs" column); ratios are against soketi's median in the same runs`);
  L.push(`- event data ${meta.config.dataSize} bytes; raw numbers in results.json`);
  const foreign = [];
  for (const r of runs) {
    for (const p of peers) {
      const x = r[p] || {};
      for (const m of [...(x.a || []), x.b, x.c]) if (m && typeof m.foreignCpu === 'number') foreign.push(m.foreignCpu);
    }
  }
  if (foreign.length) {
    const busy = foreign.filter((f) => f > 0.2).length;
    L.push(`- the machine is shared: before each measurement the runner waits (≤ 30 s, within a budget for the whole run) until other processes use < 10% of a core and re-measures a figure they disturbed by > 20% of a core (≤ 3 attempts, least disturbed kept; "others" column = their median share of a core during the figure); during the ${foreign.length} measurements they used ${Math.round(median(foreign) * 100)}% of a core (median), ${Math.round(Math.max(...foreign) * 100)}% at most, > 20% in ${busy}`);
  }
  L.push('- "core 0 busy" / "core 1 busy": whole-core utilisation from /proc/stat over the publishing period (core 0 = server, incl. kernel TCP work; core 1 = load + publisher); ~100% on core 1 means the figure is bounded by the load generator, not the server', '');

  L.push(`## (a) steady fan-out: ${meta.config.steady.subscribers} subscribers on one channel`, '');
  L.push(`${meta.config.steady.warmupMs / 1000} s warm-up then ${meta.config.steady.measureMs / 1000} s measured at each offered rate; delivered/s counts frames received inside the measured window; latency is publish (HTTP request built) → frame received.`, '');
  L.push('| server | offered/s | delivered/s | delivered | p50 ms | p99 ms | vs soketi | core 0 busy | core 1 busy | others | runs (delivered/s) |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [i, rate] of meta.config.steady.rates.entries()) {
    for (const p of peers) {
      const a = S[p].a[i];
      L.push(`| ${p} | ${fmtK(rate)} | ${fmtK(a.delivered.med)} | ${fmtPct(a.fraction.med)} | ${fmtMs(a.p50.med)} | ${fmtMs(a.p99.med)} | ${fmtRatio(ratio(a.delivered.med, ref && ref.a[i].delivered.med))} | ${fmtCpu(a.cpu.med)} | ${fmtCpu(a.loadCpu.med)} | ${fmtCpu(a.others.med)} | ${perRun(a.delivered.values, fmtK)} |`);
    }
  }
  L.push('');
  const b = meta.config.burst;
  L.push(`## (b) burst fan-out: ${b.events} events as fast as possible to ${b.subscribers / 1000}k subscribers on one channel`, '');
  L.push(`${b.events} publishes over ${b.concurrency} keep-alive HTTP connections; time from the first publish to the last frame received (${(b.events * b.subscribers) / 1e6}M deliveries).`, '');
  L.push('| server | deliveries/s | time ms | delivered | vs soketi | core 0 busy | core 1 busy | others | runs (deliveries/s) |');
  L.push('|---|---|---|---|---|---|---|---|---|');
  for (const p of peers) {
    const x = S[p].b;
    L.push(`| ${p} | ${fmtK(x.rate.med)} | ${fmtMs(x.ms.med)} | ${fmtPct(x.fraction.med)} | ${fmtRatio(ratio(x.rate.med, ref && ref.b.rate.med))} | ${fmtCpu(x.cpu.med)} | ${fmtCpu(x.loadCpu.med)} | ${fmtCpu(x.others.med)} | ${perRun(x.rate.values, fmtK)} |`);
  }
  L.push('');
  const c = meta.config.channels;
  L.push(`## (c) ${c.channels / 1000}k channels, one subscriber each`, '');
  L.push(`Closed loop, ${c.concurrency} publishes in flight, each one event to ${c.perRequest} distinct random channels (the API's per-publish maximum); ${c.warmupMs / 1000} s warm-up, ${c.measureMs / 1000} s measured.`, '');
  L.push('"server µs/delivery" is the server process\'s CPU time per delivery over the publishing period, split into user (JavaScript, libuv) and sys (the kernel\'s TCP work for its writes).', '');
  L.push('| server | deliveries/s | vs soketi | p99 ms | delivered | server µs/delivery user + sys | core 0 busy | core 1 busy | others | runs (deliveries/s) |');
  L.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const p of peers) {
    const x = S[p].c;
    L.push(`| ${p} | ${fmtK(x.rate.med)} | ${fmtRatio(ratio(x.rate.med, ref && ref.c.rate.med))} | ${fmtMs(x.p99.med)} | ${fmtPct(x.fraction.med)} | ${fmtUs(x.userUs.med)} + ${fmtUs(x.sysUs.med)} | ${fmtCpu(x.cpu.med)} | ${fmtCpu(x.loadCpu.med)} | ${fmtCpu(x.others.med)} | ${perRun(x.rate.values, fmtK)} |`);
  }
  L.push('');
  const floor = channelsFloor(peers, S);
  if (floor) L.push(floor, '');
  L.push(`## (d) memory per idle connection at ${meta.config.memory.connections / 1000}k connections`, '');
  L.push('Server RSS delta / connections, each reading taken after two forced full GCs (V8 inspector `HeapProfiler.collectGarbage`) and a settle; "connected" = handshake done (pusher: connection_established), "subscribed" = also subscribed to a channel of its own.', '');
  L.push('| server | connected | subscribed | subscribed vs soketi | runs (subscribed, B) |');
  L.push('|---|---|---|---|---|');
  for (const p of peers) {
    const x = S[p].d;
    L.push(`| ${p} | ${fmtB(x.connected.med)} | ${fmtB(x.subscribed.med)} | ${fmtRatio(ratio(x.subscribed.med, ref && ref.d.subscribed.med))} | ${perRun(x.subscribed.values, (v) => String(Math.round(v)))} |`);
  }
  L.push('');

  if (S.switchboard && ref) {
    const sw = S.switchboard;
    const i400 = meta.config.steady.rates.indexOf(400_000);
    const a = sw.a[i400];
    const yes = (ok) => (ok == null ? 'n/a' : ok ? '**met**' : '**missed**');
    const aOk = a && a.fraction.med != null ? a.fraction.med >= 0.95 && a.p99.med != null && a.p99.med < 50 && ratio(a.delivered.med, ref.a[i400].delivered.med) >= 3 : null;
    const bR = ratio(sw.b.rate.med, ref.b.rate.med);
    const cR = ratio(sw.c.rate.med, ref.c.rate.med);
    const dB = sw.d.subscribed.med;
    L.push('## Targets (Switchboard)', '');
    L.push('| target | measured | verdict |');
    L.push('|---|---|---|');
    if (a) L.push(`| (a) ≥ 95% of 400k/s delivered, p99 < 50 ms, ≥ 3× soketi | ${fmtPct(a.fraction.med)}, p99 ${fmtMs(a.p99.med)} ms, ${fmtRatio(ratio(a.delivered.med, ref.a[i400].delivered.med))} | ${yes(aOk)} |`);
    L.push(`| (b) ≥ 1.5× soketi | ${fmtRatio(bR)} | ${yes(bR == null ? null : bR >= 1.5)} |`);
    L.push(`| (c) ≥ 1.5× soketi | ${fmtRatio(cR)} | ${yes(cR == null ? null : cR >= 1.5)} |`);
    L.push(`| (d) ≤ 6 KiB per idle (subscribed) connection | ${fmtB(dB)} (connected only: ${fmtB(sw.d.connected.med)}) | ${yes(dB == null ? null : dB <= 6 * 1024)} |`);
    L.push('');
  }
  const errs = peers.flatMap((p) => S[p].errors.map((e) => `- ${p}: ${e}`));
  if (errs.length) L.push('## Errors', '', ...errs, '');
  return L.join('\n');
}
