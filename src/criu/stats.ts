// CRIU's dump statistics (stats-dump in the work directory) as numbers a
// status can carry: times in microseconds, page counts as bigint (uint64).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CriuImageError, decodeCriuImage } from './image.ts';

export interface DumpStats {
  freezingTimeUs: number;
  frozenTimeUs: number;
  memdumpTimeUs: number;
  memwriteTimeUs: number;
  pagesScanned: bigint;
  pagesSkippedParent: bigint;
  pagesWritten: bigint;
  pagesLazy: bigint;
  irmapResolveUs?: number;
  pagePipes?: bigint;
  pagePipeBufs?: bigint;
  shpagesScanned?: bigint;
  shpagesSkippedParent?: bigint;
  shpagesWritten?: bigint;
}

export const dumpStatsFile = 'stats-dump';

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : 0n);
const optNum = (v: unknown): number | undefined => (v === undefined ? undefined : num(v));
const optBig = (v: unknown): bigint | undefined => (v === undefined ? undefined : big(v));

export function decodeDumpStats(data: Uint8Array): DumpStats {
  const image = decodeCriuImage(data, { longs: 'bigint' });
  if (image.magic !== 'STATS') throw new CriuImageError(`expected a STATS image, found ${image.magic}`);
  const dump = image.entries[0]?.value.dump as Record<string, unknown> | undefined;
  if (dump === undefined) throw new CriuImageError('the STATS image has no dump statistics');
  const stats: DumpStats = {
    freezingTimeUs: num(dump.freezingTime),
    frozenTimeUs: num(dump.frozenTime),
    memdumpTimeUs: num(dump.memdumpTime),
    memwriteTimeUs: num(dump.memwriteTime),
    pagesScanned: big(dump.pagesScanned),
    pagesSkippedParent: big(dump.pagesSkippedParent),
    pagesWritten: big(dump.pagesWritten),
    pagesLazy: big(dump.pagesLazy),
  };
  const optional = {
    irmapResolveUs: optNum(dump.irmapResolve),
    pagePipes: optBig(dump.pagePipes),
    pagePipeBufs: optBig(dump.pagePipeBufs),
    shpagesScanned: optBig(dump.shpagesScanned),
    shpagesSkippedParent: optBig(dump.shpagesSkippedParent),
    shpagesWritten: optBig(dump.shpagesWritten),
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined) Object.assign(stats, { [k]: v });
  }
  return stats;
}

/** Reads stats-dump from CRIU's work directory (the images directory when no work directory was given). */
export async function readDumpStats(workDir: string): Promise<DumpStats> {
  return decodeDumpStats(await readFile(join(workDir, dumpStatsFile)));
}
