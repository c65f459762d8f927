// Go duration strings (time.ParseDuration), as Kubernetes APIs write them:
// retention.maxAge is "168h", "1h30m" or "90m". Nanoseconds as bigint, so the
// result is exact across Go's whole int64 range.

const unitNanos: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const maxNanos = (1n << 63n) - 1n;
const term = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]*)/;

/**
 * Nanoseconds of a Go duration: an optional sign, then one or more decimal
 * numbers each with a unit (ns, us, µs, ms, s, m, h), or "0". Throws on
 * anything Go would refuse, overflow past int64 included. Fractions are cut
 * at the nanosecond.
 */
export function parseGoDuration(text: string): bigint {
  const invalid = (why: string) => new Error(`invalid duration ${JSON.stringify(text)}: ${why}`);
  let rest = text;
  let sign = 1n;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1n;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw invalid('empty');
  let total = 0n;
  while (rest !== '') {
    const m = term.exec(rest);
    const [whole = '', int = '', frac, unit = ''] = m ?? [];
    if (int === '' && (frac ?? '') === '') throw invalid('want a number before each unit');
    if (unit === '') throw invalid('missing unit (one of ns, us, µs, ms, s, m, h)');
    const scale = unitNanos[unit];
    if (scale === undefined) throw invalid(`unknown unit ${JSON.stringify(unit)} (want one of ns, us, µs, ms, s, m, h)`);
    let value = BigInt(int === '' ? '0' : int) * scale;
    if (frac !== undefined && frac !== '') value += BigInt(frac) * scale / 10n ** BigInt(frac.length);
    total += value;
    if (total > maxNanos) throw invalid('out of range (more than about 292 years)');
    rest = rest.slice(whole.length);
  }
  return sign * total;
}
