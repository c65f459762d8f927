// The demo's result, for people: what the ContainerCheckpoint's status says
// (conditions, archive, CRIU statistics) and a few lines of the operator's
// Prometheus metrics.
import type { ContainerCheckpoint } from '../../src/api/container-checkpoint.ts';
import { humanBytes, table } from '../../src/cli/plugin/format.ts';

const ms = (micros: number): string => `${(micros / 1000).toFixed(1)} ms`;

export function conditionsTable(c: ContainerCheckpoint): string {
  const rows = (c.status?.conditions ?? []).map((x) => [x.type, x.status, x.reason, x.message]);
  return table(['TYPE', 'STATUS', 'REASON', 'MESSAGE'], rows);
}

/** One block per container: archive and CRIU statistics. */
export function containerLines(c: ContainerCheckpoint, archiveRoot: string): string[] {
  const out: string[] = [];
  for (const ct of c.status?.containers ?? []) {
    out.push(`container ${ct.name} (${ct.containerID})`);
    if (ct.archive !== undefined) {
      out.push(`  archive    ${archiveRoot}/${ct.archive.path}`);
      out.push(`             ${humanBytes(ct.archive.sizeBytes)} (${ct.archive.sizeBytes} bytes, ${ct.archive.compression}), sha256 ${ct.archive.sha256}`);
    }
    const s = ct.statistics;
    if (s !== undefined) {
      out.push(`  CRIU       frozen ${ms(s.frozenTimeMicros)} (freezing ${ms(s.freezingTimeMicros)}), memdump ${ms(s.memdumpTimeMicros)}, memwrite ${ms(s.memwriteTimeMicros)}`);
      out.push(`             pages scanned ${s.pagesScanned}, written ${s.pagesWritten} (${humanBytes(s.pagesWritten * 4096)}), skipped (parent) ${s.pagesSkippedParent}`);
    }
    if (ct.durationMillis !== undefined) out.push(`  took       ${ct.durationMillis} ms (dump and archive)`);
    if (ct.reason !== undefined) out.push(`  failed     ${ct.reason}: ${ct.message ?? ''}`);
  }
  return out;
}

/**
 * The samples of a Prometheus text exposition whose metric is one of names
 * (a histogram's _sum and _count, not its buckets), in exposition order.
 */
export function metricLines(text: string, names: string[], limit = 14): string[] {
  const wanted = new Set(names.flatMap((n) => [n, `${n}_sum`, `${n}_count`]));
  return text.split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && wanted.has(l.split(/[{ ]/, 1)[0] ?? ''))
    .slice(0, limit);
}
