// What a schedule's checkpoints say about its runs: which checkpoints are
// still in progress (status.active), which runs are over and how they ended
// (lastSuccessfulTime, run events and metrics), and what retention may look
// at. A run has no object of its own; its checkpoints carry its ckpt.dev/run
// label and the number of checkpoints it created (runSizeAnnotation).
import { isFinished, outcomeOf } from '../../api/checkpoint-state.ts';
import { scheduledTimeAnnotation, scheduleRunLabel } from '../../api/names.ts';
import type { ActiveCheckpoint } from './concurrency.ts';
import type { RetainedCheckpoint } from './retention.ts';
import { runSizeAnnotation } from '../../api/names.ts';
import type { Checkpoint } from './schedule-object.ts';

export interface RunState {
  run: string;
  /** The run's checkpoints that exist, deleting ones included. */
  members: Checkpoint[];
  /** How many checkpoints the run created; undefined when none says (made by hand). */
  size: number | undefined;
  /** Every checkpoint the run created exists and has finished. */
  over: boolean;
  /** How the run ended, once it is over. */
  outcome: 'succeeded' | 'failed' | undefined;
  /** The latest completionTime of its checkpoints, once it is over. */
  finishedAt: Date | undefined;
}

/** The runs of a schedule's checkpoints by ckpt.dev/run; checkpoints without the label belong to no run. */
export function runsOf(checkpoints: readonly Checkpoint[]): Map<string, RunState> {
  const byRun = new Map<string, Checkpoint[]>();
  for (const c of checkpoints) {
    const run = c.metadata.labels?.[scheduleRunLabel];
    if (run === undefined) continue;
    const list = byRun.get(run);
    if (list === undefined) byRun.set(run, [c]);
    else list.push(c);
  }
  const runs = new Map<string, RunState>();
  for (const [run, members] of byRun) runs.set(run, runState(run, members));
  return runs;
}

export function runState(run: string, members: readonly Checkpoint[]): RunState {
  const sizes = members.map(runSizeOf).filter((n) => n !== undefined);
  const size = sizes.length > 0 ? Math.max(...sizes) : undefined;
  const over = members.length > 0 && members.length >= (size ?? 0) && members.every(isFinished);
  if (!over) return { run, members: [...members], size, over, outcome: undefined, finishedAt: undefined };
  const outcome = members.every((c) => outcomeOf(c) === 'succeeded') ? 'succeeded' : 'failed';
  const times = members.map((c) => parseTimestamp(c.status?.completionTime)).filter((t) => t !== undefined);
  const finishedAt = times.length > 0 ? new Date(Math.max(...times)) : undefined;
  return { run, members: [...members], size, over, outcome, finishedAt };
}

/** Checkpoints that have not finished and are not being deleted: status.active, and what concurrencyPolicy weighs. */
export function activeCheckpoints(checkpoints: readonly Checkpoint[]): ActiveCheckpoint[] {
  return checkpoints
    .filter((c) => !isFinished(c) && c.metadata.deletionTimestamp === undefined)
    .map((c) => ({ namespace: c.metadata.namespace ?? '', name: c.metadata.name ?? '', run: c.metadata.labels?.[scheduleRunLabel] }))
    .sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name));
}

/** The latest finish of a run that succeeded, never earlier than what status already says. */
export function lastSuccessfulTime(runs: Iterable<RunState>, current: Date | undefined): Date | undefined {
  let latest = current;
  for (const r of runs) {
    if (r.outcome !== 'succeeded' || r.finishedAt === undefined) continue;
    if (latest === undefined || r.finishedAt > latest) latest = r.finishedAt;
  }
  return latest;
}

/**
 * What retention sees. A checkpoint counts as finished only once its run is
 * settled: over, or with every present checkpoint finished and a newer run
 * started (so nothing more will be created for it). Until then retention
 * leaves the whole run alone, so that deleting a failed checkpoint early
 * (failedHistoryLimit 0) cannot make the rest of its run look successful.
 */
export function retainedCheckpoints(checkpoints: readonly Checkpoint[], runs: ReadonlyMap<string, RunState>): RetainedCheckpoint[] {
  const newest = [...runs.keys()].reduce<string | undefined>((a, b) => (a === undefined || Number(b) > Number(a) ? b : a), undefined);
  const settled = (run: string | undefined): boolean => {
    if (run === undefined) return true;
    const r = runs.get(run);
    if (r === undefined) return true;
    return r.over || (run !== newest && r.members.every(isFinished));
  };
  return checkpoints.map((c) => {
    const outcome = outcomeOf(c);
    const size = c.status?.totalSizeBytes;
    return {
      namespace: c.metadata.namespace ?? '',
      name: c.metadata.name ?? '',
      pod: c.spec.podName,
      containerNames: c.spec.containerNames ?? (c.status?.containers ?? []).map((x) => x.name),
      creationTime: checkpointTime(c),
      finished: outcome !== undefined && settled(c.metadata.labels?.[scheduleRunLabel]),
      succeeded: outcome === 'succeeded',
      failed: outcome === 'failed',
      sizeBytes: size !== undefined && /^[0-9]+$/.test(size) ? BigInt(size) : undefined,
      labels: c.metadata.labels,
      deleting: c.metadata.deletionTimestamp !== undefined,
    };
  });
}

/**
 * When a checkpoint was taken, in the schedule's timeline: its run's
 * scheduled instant, else its creation. The instant orders runs exactly,
 * where creationTimestamp has whole seconds and a catch-up run is created
 * late, and it is on the same clock as the schedule.
 */
export function checkpointTime(c: Checkpoint): Date {
  const t = parseTimestamp(c.metadata.annotations?.[scheduledTimeAnnotation]) ?? parseTimestamp(c.metadata.creationTimestamp) ?? 0;
  return new Date(t);
}

function runSizeOf(c: Checkpoint): number | undefined {
  const v = c.metadata.annotations?.[runSizeAnnotation];
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined;
}

function parseTimestamp(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
