// Human-readable sizes, ages and tables, in kubectl's style.
import { stringify } from 'yaml';
import { FlagError } from './runc-flags.ts';

export function humanBytes(bytes: bigint | number | string | undefined): string {
  if (bytes === undefined || bytes === '') return '';
  let n = Number(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return u === 0 ? `${n}B` : `${n.toFixed(n < 10 ? 1 : 0)}${units[u] ?? ''}`;
}

/** Age like kubectl prints it: 42s, 5m, 3h, 12d. */
export function age(since: string | undefined, now: Date): string {
  if (since === undefined) return '<unknown>';
  const s = Math.max(0, Math.floor((now.getTime() - new Date(since).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export type OutputFormat = 'table' | 'json' | 'yaml' | 'name';

export function parseOutput<const A extends OutputFormat>(value: string | undefined, allowed: readonly A[]): A {
  const o = (value ?? 'table') as A;
  if (!allowed.includes(o)) throw new FlagError(`--output must be one of ${allowed.filter((a) => a !== 'table').join(', ')}, not ${value ?? ''}`);
  return o;
}

export function render(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}
