// Runs ending: when a schedule's checkpoint is seen to finish and with it the
// last of its run, the run is counted by outcome and an event says how it
// went. Seen on the transition, like the checkpoint metrics, so that a
// restart (whose first list holds finished runs) counts nothing twice.
import { isFinished, outcomeOf, conditionOf } from '../../api/checkpoint-state.ts';
import { conditionTypes } from '../../api/conditions.ts';
import { scheduledTimeAnnotation, scheduleRunLabel } from '../../api/names.ts';
import type { EventRecorder } from '../../runtime/events/event-recorder.ts';
import type { Informer } from '../../runtime/informer/informer.ts';
import type { CacheReader } from '../../runtime/informer/object-cache.ts';
import { formatTime } from '../../runtime/kube/micro-time.ts';
import type { ScheduleMetrics } from '../metrics/schedule-metrics.ts';
import type { ScheduleKind } from './checkpoint-name.ts';
import { listed, plural } from './event-notes.ts';
import { scheduleEventReasons } from './reasons.ts';
import { runState, type RunState } from './run-state.ts';
import { owningSchedule, type Checkpoint, type Schedule } from './schedule-object.ts';
import { referenceOf } from './schedule-reconciler.ts';

export interface RunOutcomeDeps {
  checkpoints: Informer<Checkpoint>;
  schedules: Readonly<Record<ScheduleKind, CacheReader<Schedule>>>;
  events: EventRecorder;
  metrics: ScheduleMetrics;
  /** Only the leader reports, as only it acts. */
  isLeader: () => boolean;
}

export function watchRunOutcomes(d: RunOutcomeDeps): void {
  d.checkpoints.addHandlers({
    onUpdate: (old, obj) => {
      if (isFinished(old) || !isFinished(obj) || !d.isLeader()) return;
      const owner = owningSchedule(obj);
      const run = obj.metadata.labels?.[scheduleRunLabel];
      if (owner === undefined || run === undefined) return;
      const scope = owner.kind === 'CheckpointSchedule' ? d.checkpoints.cache.list(obj.metadata.namespace ?? '') : d.checkpoints.cache.list();
      const members = scope.filter((c) => c.metadata.labels?.[scheduleRunLabel] === run && owningSchedule(c)?.uid === owner.uid);
      const state = runState(run, members);
      if (!state.over || state.outcome === undefined) return;
      // Checkpoints outlive a deleted schedule until the garbage collector
      // comes; their runs are no schedule's any more.
      const schedule = d.schedules[owner.kind].get(owner.key);
      if (schedule?.metadata.uid !== owner.uid) return;
      d.metrics.runsFinished.inc({ kind: owner.kind, result: state.outcome });
      d.events.event(referenceOf(owner.kind, schedule), {
        type: state.outcome === 'succeeded' ? 'Normal' : 'Warning',
        reason: state.outcome === 'succeeded' ? scheduleEventReasons.runSucceeded : scheduleEventReasons.runFailed,
        action: 'Run', note: describeEnd(state),
      });
    },
  });
}

function describeEnd(r: RunState): string {
  const scheduled = r.members[0]?.metadata.annotations?.[scheduledTimeAnnotation];
  const head = `Run ${r.run}${scheduled !== undefined ? ` (scheduled ${scheduled})` : ''}`;
  const at = r.finishedAt !== undefined ? ` by ${formatTime(r.finishedAt.getTime())}` : '';
  if (r.outcome === 'succeeded') return `${head}: all ${plural(r.members.length, 'checkpoint')} succeeded${at}`;
  const failed = r.members.filter((c) => outcomeOf(c) !== 'succeeded')
    .map((c) => `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''} (${conditionOf(c, conditionTypes.failed)?.reason ?? 'Failed'})`);
  return `${head}: ${failed.length} of ${plural(r.members.length, 'checkpoint')} failed${at}: ${listed(failed)}`;
}
