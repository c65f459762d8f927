// Which checkpoints of a schedule to delete. Deleting a ContainerCheckpoint
// makes the agent remove its archive (finalizer), so this is what frees disk.
//
// The rules, each choosing the oldest first:
//   1. failedHistoryLimit: keep the newest N failed checkpoints of the
//      schedule. Failed checkpoints follow only this rule (the Retention
//      type's contract); partial archives of a failed dump are freed with it.
//   2. successfulHistoryLimit: keep the succeeded checkpoints of the newest N
//      runs of the schedule (a run is a ckpt.dev/run value, so one run over
//      200 pods counts once), as CronJob keeps N Jobs. Unset, it is 3 only
//      for a schedule whose retention block has no rule (keepLast, maxAge,
//      maxTotalBytes), and no limit otherwise: a limit nobody wrote must not
//      quietly cap keepLast 10 at 3 runs. Set, it applies as well as the
//      retention rules, whichever deletes more.
//   3. retention.maxAge: a succeeded checkpoint created longer ago than this.
//   4. retention.keepLast: the newest N succeeded checkpoints per container.
//   5. retention.maxTotalBytes: per container, the oldest go until the rest
//      fit, but never the newest one: a budget smaller than one checkpoint
//      would otherwise delete each checkpoint as soon as it succeeds. That
//      case is reported as a warning instead.
// "Per container" groups checkpoints by namespace, pod and the exact set of
// containers they cover. A run checkpoints all chosen containers of a pod
// together, so with fixed containerNames (or pods whose containers all run)
// there is one group per pod and "per container" holds for each container.
// When the set differs between runs (a sidecar was not running), each set
// keeps its own newest N: a multi-container checkpoint counts once, in one
// group, and a container's newest checkpoints are never deleted to make room
// for another set's.
//
// Never deleted, and not counted by any rule: unfinished checkpoints (they
// may yet fail, and hold no archive), checkpoints already being deleted, and
// pinned ones (label pinLabel = "true"). A pin is the user's "keep this one
// as well": it does not take the place of one of the newest N, and its bytes
// do not push the rolling checkpoints out of the budget.
import type { Retention } from '../../api/checkpoint-schedule.ts';
import { parseByteQuantity } from '../../api/fields.ts';
import { defaultPinLabel, scheduleRunLabel } from '../../api/names.ts';
import { parseGoDuration } from './duration.ts';

/** successfulHistoryLimit when unset and the schedule has no retention rule (see effectiveSuccessfulHistoryLimit). */
export const defaultSuccessfulHistoryLimit = 3;
/** The CRD default, for objects that did not pass through kube-apiserver. */
export const defaultFailedHistoryLimit = 1;

export interface RetainedCheckpoint {
  namespace: string;
  name: string;
  /** spec.podName */
  pod: string;
  /** The containers the checkpoint covers (spec.containerNames, or status.containers). */
  containerNames: readonly string[];
  creationTime: Date;
  /** Succeeded or Failed is True. */
  finished: boolean;
  succeeded: boolean;
  failed: boolean;
  /** status.totalSizeBytes; unknown counts as 0. */
  sizeBytes?: bigint | undefined;
  labels?: Readonly<Record<string, string>> | undefined;
  /** metadata.deletionTimestamp is set. */
  deleting?: boolean | undefined;
}

export interface RetentionPolicy {
  keepLast?: number | undefined;
  /** A Go duration such as 168h. */
  maxAge?: string | undefined;
  /** A byte quantity such as 10Gi. */
  maxTotalBytes?: string | undefined;
  pinLabel?: string | undefined;
  successfulHistoryLimit?: number | undefined;
  failedHistoryLimit?: number | undefined;
}

export type RetentionRule = 'failedHistoryLimit' | 'successfulHistoryLimit' | 'maxAge' | 'keepLast' | 'maxTotalBytes';

export interface RetentionDeletion {
  namespace: string;
  name: string;
  /** The first rule, in the order above, that chose it. */
  rule: RetentionRule;
  /** What deleting it frees. */
  bytes: bigint;
}

export interface RetentionPlan {
  /** Oldest first. */
  deletions: RetentionDeletion[];
  freedBytes: bigint;
  /** Policy values that could not be applied, and budgets that cannot be met; for events. */
  warnings: string[];
}

/** The policy of a schedule spec. */
export function retentionPolicyOf(spec: {
  retention?: Retention | undefined;
  successfulHistoryLimit?: number | undefined;
  failedHistoryLimit?: number | undefined;
}): RetentionPolicy {
  return { ...spec.retention, successfulHistoryLimit: spec.successfulHistoryLimit, failedHistoryLimit: spec.failedHistoryLimit };
}

/**
 * The successfulHistoryLimit that applies: the schedule's own, else 3 when
 * its retention block has no rule, else none (Infinity). The API server
 * materialises an empty retention block (it holds the pinLabel default), so
 * the block's presence says nothing; its rules do.
 */
export function effectiveSuccessfulHistoryLimit(policy: RetentionPolicy): number {
  if (policy.successfulHistoryLimit !== undefined) return Math.max(0, policy.successfulHistoryLimit);
  const hasRule = policy.keepLast !== undefined || policy.maxAge !== undefined || policy.maxTotalBytes !== undefined;
  return hasRule ? Infinity : defaultSuccessfulHistoryLimit;
}

export function planRetention(checkpoints: readonly RetainedCheckpoint[], policy: RetentionPolicy, now: Date): RetentionPlan {
  const warnings: string[] = [];
  const chosen = new Map<RetainedCheckpoint, RetentionRule>();
  const choose = (list: Iterable<RetainedCheckpoint>, rule: RetentionRule) => {
    for (const c of list) if (!chosen.has(c)) chosen.set(c, rule);
  };
  const left = (list: readonly RetainedCheckpoint[]) => list.filter((c) => !chosen.has(c));

  const pinLabel = policy.pinLabel ?? defaultPinLabel;
  const eligible = checkpoints.filter((c) => c.finished && c.deleting !== true && c.labels?.[pinLabel] !== 'true');
  // Finished without success is a failure, whatever else the record says.
  const succeeded = eligible.filter((c) => c.succeeded && !c.failed).sort(newestFirst);
  const failed = eligible.filter((c) => !(c.succeeded && !c.failed)).sort(newestFirst);

  choose(failed.slice(limit(policy.failedHistoryLimit, defaultFailedHistoryLimit)), 'failedHistoryLimit');

  const runs = [...groupBy(succeeded, runOf).values()]; // newest run first: groups keep first-seen order
  const historyLimit = effectiveSuccessfulHistoryLimit(policy);
  if (historyLimit !== Infinity) choose(runs.slice(historyLimit).flat(), 'successfulHistoryLimit');

  const maxAgeMs = parsed(policy.maxAge, (s) => Number(parseGoDuration(s)) / 1e6, 'retention.maxAge', warnings);
  if (maxAgeMs !== undefined) {
    choose(left(succeeded).filter((c) => now.getTime() - c.creationTime.getTime() > maxAgeMs), 'maxAge');
  }

  const groups = [...groupBy(succeeded, groupOf).values()];
  if (policy.keepLast !== undefined) {
    for (const group of groups) choose(left(group).slice(Math.max(0, policy.keepLast)), 'keepLast');
  }

  const budget = parsed(policy.maxTotalBytes, parseByteQuantity, 'retention.maxTotalBytes', warnings);
  if (budget !== undefined) {
    for (const group of groups) {
      const [newest, ...older] = left(group);
      if (newest === undefined) continue;
      let total = [newest, ...older].reduce((sum, c) => sum + size(c), 0n);
      for (const c of older.reverse()) {
        if (total <= budget) break;
        choose([c], 'maxTotalBytes');
        total -= size(c);
      }
      if (total > budget) {
        warnings.push(`checkpoint ${newest.namespace}/${newest.name} alone (${size(newest)} bytes) exceeds retention.maxTotalBytes ${policy.maxTotalBytes ?? ''}; keeping it as the newest of pod ${newest.pod}`);
      }
    }
  }

  const deletions = [...chosen].sort(([a], [b]) => oldestFirst(a, b))
    .map(([c, rule]) => ({ namespace: c.namespace, name: c.name, rule, bytes: size(c) }));
  return { deletions, freedBytes: deletions.reduce((sum, d) => sum + d.bytes, 0n), warnings };
}

// Equal times (one run over many pods) are ordered by name, so that plans
// and the events made from them do not shuffle between reconciles.
function newestFirst(a: RetainedCheckpoint, b: RetainedCheckpoint): number {
  return b.creationTime.getTime() - a.creationTime.getTime() || byName(a, b);
}

function oldestFirst(a: RetainedCheckpoint, b: RetainedCheckpoint): number {
  return a.creationTime.getTime() - b.creationTime.getTime() || byName(a, b);
}

function byName(a: RetainedCheckpoint, b: RetainedCheckpoint): number {
  return compare(a.namespace, b.namespace) || compare(a.name, b.name);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function size(c: RetainedCheckpoint): bigint {
  return c.sizeBytes ?? 0n;
}

function limit(value: number | undefined, fallback: number): number {
  return Math.max(0, value ?? fallback);
}

// A checkpoint without a run label (created by hand, then labelled for the
// schedule) is a run of its own.
function runOf(c: RetainedCheckpoint): string {
  return c.labels?.[scheduleRunLabel] ?? `\0${c.namespace}/${c.name}`;
}

function groupOf(c: RetainedCheckpoint): string {
  return JSON.stringify([c.namespace, c.pod, [...c.containerNames].sort()]);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

function parsed<T>(value: string | undefined, parse: (s: string) => T, field: string, warnings: string[]): T | undefined {
  if (value === undefined) return undefined;
  try {
    const result = parse(value);
    if ((typeof result === 'number' || typeof result === 'bigint') && result < 0) throw new Error('must not be negative');
    return result;
  } catch (err) {
    warnings.push(`${field} ${JSON.stringify(value)} is not applied: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}
