// Go-style durations ("1h30m", "15s", "250ms") as milliseconds.
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (units[m[2] ?? ''] ?? Number.NaN);
    matched = re.lastIndex;
  }
  if (s === '' || matched !== s.length || !Number.isFinite(total)) {
    throw new Error(`invalid duration ${JSON.stringify(text)}: want e.g. 500ms, 15s, 2m, 1h30m`);
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [u, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${u}`);
    rest -= n * size;
  }
  return parts.join('');
}
