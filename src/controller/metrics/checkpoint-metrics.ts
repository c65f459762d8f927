// The project's own metrics about checkpoints, fed from the status the agents
// write: one observation when a checkpoint is seen finishing. Names follow
// Prometheus conventions (base units: seconds, bytes).
import { Counter, Histogram, type Registry } from 'prom-client';
import { conditionOf, outcomeOf } from '../../api/checkpoint-state.ts';
import { conditionTypes, succeededReason } from '../../api/conditions.ts';
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';

const timeBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const sizeBuckets = [1 << 20, 4 << 20, 16 << 20, 64 << 20, 256 << 20, 1 << 30, 4 * 2 ** 30, 16 * 2 ** 30, 64 * 2 ** 30];

export class CheckpointMetrics {
  readonly finished: Counter<'result' | 'reason'>;
  readonly duration: Histogram<'result'>;
  readonly archiveSize: Histogram<'compression'>;
  readonly freezing: Histogram;
  readonly frozen: Histogram;
  readonly memdump: Histogram;
  readonly memwrite: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.finished = new Counter({
      name: 'ckpt_checkpoints_total', help: 'ContainerCheckpoints that finished, by result (succeeded, failed) and reason',
      labelNames: ['result', 'reason'], registers,
    });
    this.duration = new Histogram({
      name: 'ckpt_checkpoint_duration_seconds', help: 'Time from the agent claiming a checkpoint to its completion',
      labelNames: ['result'], buckets: timeBuckets, registers,
    });
    this.archiveSize = new Histogram({
      name: 'ckpt_archive_size_bytes', help: 'Size of checkpoint archives, per container', labelNames: ['compression'],
      buckets: sizeBuckets, registers,
    });
    const criu = (name: string, help: string): Histogram =>
      new Histogram({ name: `ckpt_criu_${name}_seconds`, help, buckets: timeBuckets, registers });
    this.freezing = criu('freezing', 'CRIU: time to freeze a container');
    this.frozen = criu('frozen', 'CRIU: time a container stayed frozen');
    this.memdump = criu('memdump', 'CRIU: time to collect memory pages');
    this.memwrite = criu('memwrite', 'CRIU: time to write memory pages');
  }

  /** Records a checkpoint that has just finished. */
  observe(c: ContainerCheckpoint): void {
    const result = outcomeOf(c);
    if (result === undefined) return;
    const reason = result === 'failed' ? conditionOf(c, conditionTypes.failed)?.reason ?? '' : succeededReason;
    this.finished.inc({ result, reason });
    if (c.status?.durationMillis !== undefined) this.duration.observe({ result }, c.status.durationMillis / 1000);
    for (const ct of c.status?.containers ?? []) {
      if (ct.archive !== undefined) this.archiveSize.observe({ compression: ct.archive.compression }, Number(ct.archive.sizeBytes));
      const s = ct.statistics;
      if (s === undefined) continue;
      this.freezing.observe(s.freezingTimeMicros / 1e6);
      this.frozen.observe(s.frozenTimeMicros / 1e6);
      this.memdump.observe(s.memdumpTimeMicros / 1e6);
      this.memwrite.observe(s.memwriteTimeMicros / 1e6);
    }
  }
}
