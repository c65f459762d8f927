// stats-dump decoding: a file CRIU 4.1.1 wrote on the test node, and the
// uint64 counters past 2^53.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeCriuImage } from '../../../src/criu/image.ts';
import { decodeDumpStats, readDumpStats } from '../../../src/criu/stats.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'node', 'fixtures', 'criu', 'dump-mem');

describe('dump statistics', () => {
  it('decodes the stats-dump CRIU wrote for an 8 MiB container', async () => {
    const s = await readDumpStats(fixtures);
    assert.deepEqual(s, {
      freezingTimeUs: 800,
      frozenTimeUs: 134980,
      memdumpTimeUs: 3313,
      memwriteTimeUs: 2736,
      pagesScanned: 2071n,
      pagesSkippedParent: 0n,
      pagesWritten: 2064n,
      pagesLazy: 0n,
      irmapResolveUs: 0,
      pagePipes: 10n,
      pagePipeBufs: 10n,
      shpagesScanned: 48n,
      shpagesSkippedParent: 0n,
      shpagesWritten: 23n,
    });
  });

  it('keeps page counters exact beyond 2^53', () => {
    const big = 2n ** 60n + 7n;
    const image = encodeCriuImage('STATS', [{ message: 'stats_entry', value: { dump: {
      freezingTime: 1, frozenTime: 2, memdumpTime: 3, memwriteTime: 4,
      pagesScanned: big.toString(), pagesSkippedParent: '0', pagesWritten: big.toString(), pagesLazy: '0',
    } } }]);
    const s = decodeDumpStats(image);
    assert.equal(s.pagesScanned, big);
    assert.equal(s.pagesWritten, big);
    assert.equal(s.frozenTimeUs, 2);
    assert.equal(s.pagePipes, undefined);
  });

  it('refuses another image or a restore-only stats file', async () => {
    assert.throws(() => decodeDumpStats(encodeCriuImage('STATS', [{ message: 'stats_entry', value: { restore: {
      pagesCompared: '1', pagesSkippedCow: '0', forkingTime: 1, restoreTime: 2,
    } } }])), /no dump statistics/);
    const pstree = await readFile(join(fixtures, 'pstree.img'));
    assert.throws(() => decodeDumpStats(pstree), /expected a STATS image/);
  });
});
