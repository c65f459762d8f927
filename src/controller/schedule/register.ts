// Wires the CheckpointSchedule and ClusterCheckpointSchedule controllers into
// the controller process, on the informers it already shares: a schedule is
// reconciled when it changes, when one of its checkpoints changes in a way
// that matters to it, and when its next instant (or retention's next expiry)
// comes, by the clock the manager runs on.
import { isFinished, outcomeOf } from '../../api/checkpoint-state.ts';
import { systemClock, type Clock } from '../../runtime/clock.ts';
import type { Controller } from '../../runtime/controller/controller.ts';
import type { EventRecorder } from '../../runtime/events/event-recorder.ts';
import type { Informer } from '../../runtime/informer/informer.ts';
import type { KubeClient } from '../../runtime/kube/kube-client.ts';
import type { KubeObject } from '../../runtime/kube/object.ts';
import type { Manager } from '../../runtime/manager/manager.ts';
import { ScheduleMetrics } from '../metrics/schedule-metrics.ts';
import type { ScheduleKind } from './checkpoint-name.ts';
import { watchRunOutcomes } from './run-outcomes.ts';
import { owningSchedule, scheduleResources, type Checkpoint, type Schedule } from './schedule-object.ts';
import { ScheduleReconciler, type ScheduleConfig } from './schedule-reconciler.ts';
import type { CachedPod } from './select-pods.ts';

export interface ScheduleControllerDeps {
  client: KubeClient;
  checkpoints: Informer<Checkpoint>;
  pods: Informer<CachedPod>;
  namespaces: Informer<KubeObject>;
  events: EventRecorder;
  /** The manager's clock (default: the system clock). */
  clock?: Clock | undefined;
  config: ScheduleConfig & { workers: number };
}

export interface ScheduleControllers {
  metrics: ScheduleMetrics;
  controllers: Record<ScheduleKind, Controller>;
}

export function registerScheduleControllers(manager: Manager, deps: ScheduleControllerDeps): ScheduleControllers {
  const metrics = new ScheduleMetrics(manager.registry);
  const clock = deps.clock ?? systemClock;
  const informers = {
    CheckpointSchedule: manager.informers.informer<Schedule>(scheduleResources.CheckpointSchedule),
    ClusterCheckpointSchedule: manager.informers.informer<Schedule>(scheduleResources.ClusterCheckpointSchedule),
  };
  const build = (kind: ScheduleKind): Controller => {
    const reconciler = new ScheduleReconciler({
      kind, client: deps.client, schedules: informers[kind].cache, checkpoints: deps.checkpoints.cache,
      pods: deps.pods.cache, namespaces: deps.namespaces.cache, events: deps.events, metrics, clock, config: deps.config,
    });
    const controller = manager.newController({ name: kind.toLowerCase(), reconciler, workers: deps.config.workers });
    controller.watch(informers[kind]);
    controller.watch(deps.checkpoints, {
      filter: (c, old) => owningSchedule(c)?.kind === kind && (old === undefined || mattersToSchedule(old, c)),
      map: (c) => {
        const owner = owningSchedule(c);
        return owner === undefined ? [] : [owner.key];
      },
    });
    // Pods and namespaces are read when a run starts and their changes start
    // nothing; they are watched only so that workers wait for these caches
    // to sync: a run on an empty pod cache would find no pods.
    controller.watch(deps.pods, { filter: () => false });
    controller.watch(deps.namespaces, { filter: () => false });
    return controller;
  };
  const controllers = { CheckpointSchedule: build('CheckpointSchedule'), ClusterCheckpointSchedule: build('ClusterCheckpointSchedule') };
  watchRunOutcomes({
    checkpoints: deps.checkpoints,
    schedules: { CheckpointSchedule: informers.CheckpointSchedule.cache, ClusterCheckpointSchedule: informers.ClusterCheckpointSchedule.cache },
    events: deps.events, metrics,
    isLeader: () => manager.elector?.isLeader() ?? true,
  });
  return { metrics, controllers };
}

// Progress reports of an agent (claim, per-container results) change nothing
// a schedule shows until the checkpoint finishes.
function mattersToSchedule(old: Checkpoint, c: Checkpoint): boolean {
  return isFinished(old) !== isFinished(c) || outcomeOf(old) !== outcomeOf(c)
    || old.metadata.deletionTimestamp !== c.metadata.deletionTimestamp
    || old.status?.totalSizeBytes !== c.status?.totalSizeBytes
    || old.status?.completionTime !== c.status?.completionTime
    || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(c.metadata.labels ?? {});
}
