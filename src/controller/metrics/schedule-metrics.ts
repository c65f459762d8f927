// Metrics of the CheckpointSchedule and ClusterCheckpointSchedule
// reconcilers, labelled by kind. A due instant is counted once, by what came
// of it (started, missed, forbidden); a started run is counted again when it
// is over, by its outcome. Bytes are what the deleted checkpoints' status
// said their archives took; the agents free them once the deletions go
// through their finalizer.
import { Counter, type Registry } from 'prom-client';

export type RunStartResult = 'started' | 'missed' | 'forbidden';
export type RunEndResult = 'succeeded' | 'failed';

export class ScheduleMetrics {
  readonly runs: Counter<'kind' | 'result'>;
  readonly runsFinished: Counter<'kind' | 'result'>;
  readonly checkpointsCreated: Counter<'kind'>;
  readonly podsSkipped: Counter<'kind' | 'reason'>;
  readonly retentionDeletions: Counter<'kind' | 'rule'>;
  readonly retentionFreedBytes: Counter<'kind'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.runs = new Counter({
      name: 'ckpt_schedule_runs_total', help: 'Due schedule instants, by what came of them: started, missed (past startingDeadlineSeconds), forbidden (concurrencyPolicy Forbid)',
      labelNames: ['kind', 'result'], registers,
    });
    this.runsFinished = new Counter({
      name: 'ckpt_schedule_runs_finished_total', help: 'Schedule runs whose checkpoints have all finished, by result (succeeded: all of them succeeded)',
      labelNames: ['kind', 'result'], registers,
    });
    this.checkpointsCreated = new Counter({
      name: 'ckpt_schedule_checkpoints_created_total', help: 'ContainerCheckpoints created by schedule runs',
      labelNames: ['kind'], registers,
    });
    this.podsSkipped = new Counter({
      name: 'ckpt_schedule_pods_skipped_total', help: 'Selected pods a schedule run left out, by reason (PodNotRunning, ...)',
      labelNames: ['kind', 'reason'], registers,
    });
    this.retentionDeletions = new Counter({
      name: 'ckpt_schedule_retention_deletions_total', help: 'ContainerCheckpoints deleted by schedule retention, by the rule that chose them',
      labelNames: ['kind', 'rule'], registers,
    });
    this.retentionFreedBytes = new Counter({
      name: 'ckpt_schedule_retention_freed_bytes_total', help: 'Archive bytes of the ContainerCheckpoints deleted by schedule retention',
      labelNames: ['kind'], registers,
    });
  }
}
