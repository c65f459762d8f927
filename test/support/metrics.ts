// Reading a component's /metrics (Prometheus text format) in tests and
// benchmarks, and finding its port and identity in its JSON logs.
import type { OperatorProcess } from './operator.ts';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, '$1');
    out.push({ name: m[1] ?? '', labels, value: Number(m[4]) });
  }
  return out;
}

export async function scrape(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`/metrics on port ${port}: HTTP ${res.status}`);
  return parseMetrics(await res.text());
}

/** Sum of the samples of a metric whose labels include these. */
export function metricSum(samples: Sample[], name: string, labels: Record<string, string> = {}, exclude: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.entries(exclude).every(([k, v]) => s.labels[k] !== v))
    .reduce((a, s) => a + s.value, 0);
}

/**
 * A quantile of a histogram, interpolated within its buckets as Prometheus'
 * histogram_quantile() does.
 */
export function histogramQuantile(samples: Sample[], name: string, q: number, labels: Record<string, string> = {}): number {
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || !Object.entries(labels).every(([k, v]) => s.labels[k] === v)) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(1, count - prevCount));
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

function logLines(p: OperatorProcess): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of p.logs().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by the log buffer
    }
  }
  return out;
}

/** The port of /metrics, from the health server's log line. */
export async function metricsPort(p: OperatorProcess): Promise<number> {
  await p.waitForLog(/serving \/healthz, \/readyz and \/metrics/);
  const line = logLines(p).find((l) => l.msg === 'serving /healthz, /readyz and /metrics');
  if (typeof line?.port !== 'number') throw new Error(`${p.name} logged no health port`);
  return line.port;
}

/** The leader-election identity the process logged when starting. */
export function identityOf(p: OperatorProcess): string {
  const line = logLines(p).find((l) => l.msg === 'starting');
  if (typeof line?.identity !== 'string') throw new Error(`${p.name} logged no identity`);
  return line.identity;
}
