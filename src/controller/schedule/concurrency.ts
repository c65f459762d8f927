// concurrencyPolicy: what a due run does about checkpoints of earlier runs
// that have not finished, as CronJob's Allow, Forbid and Replace.
import type { ConcurrencyPolicy } from '../../api/checkpoint-schedule.ts';
import { scheduleEventReasons } from './reasons.ts';

/** An unfinished ContainerCheckpoint of the schedule (status.active), with its ckpt.dev/run label. */
export interface ActiveCheckpoint {
  namespace: string;
  name: string;
  run?: string | undefined;
}

export type ConcurrencyDecision =
  | { action: 'Start' }
  | { action: 'Skip'; reason: typeof scheduleEventReasons.runAlreadyActive; message: string }
  | { action: 'Replace'; reason: typeof scheduleEventReasons.replacingActiveRun; message: string; toDelete: ActiveCheckpoint[] };

/**
 * Decides whether run `run` (its ckpt.dev/run value) starts. Checkpoints
 * labelled with this same run are its own, left from a reconcile that was
 * cut short, and never hold it back: the run goes on creating the rest.
 *
 * Forbid skips the run. As in CronJob the caller should then leave
 * lastScheduleTime alone, so that the run still starts once the earlier one
 * finishes, if that happens within startingDeadlineSeconds and before the
 * next instant. Replace deletes the earlier checkpoints first; the caller
 * starts the run once the deletions are accepted.
 */
export function decideConcurrency(
  policy: ConcurrencyPolicy | undefined,
  active: readonly ActiveCheckpoint[],
  run: string,
): ConcurrencyDecision {
  const earlier = active.filter((a) => a.run !== run);
  if (earlier.length === 0 || policy === undefined || policy === 'Allow') return { action: 'Start' };
  const sorted = [...earlier].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  const listed = describe(sorted);
  if (policy === 'Forbid') {
    return {
      action: 'Skip', reason: scheduleEventReasons.runAlreadyActive,
      message: `Not starting run ${run}: concurrencyPolicy is Forbid and ${listed} of an earlier run ${sorted.length === 1 ? 'is' : 'are'} still in progress`,
    };
  }
  return {
    action: 'Replace', reason: scheduleEventReasons.replacingActiveRun, toDelete: sorted,
    message: `Deleting ${listed} of an earlier run, still in progress, before starting run ${run} (concurrencyPolicy Replace)`,
  };
}

function describe(list: readonly ActiveCheckpoint[]): string {
  const shown = list.slice(0, 5).map((a) => `${a.namespace}/${a.name}`).join(', ');
  const rest = list.length > 5 ? ` and ${list.length - 5} more` : '';
  return `${list.length === 1 ? 'checkpoint' : 'checkpoints'} ${shown}${rest}`;
}
