// Deterministic names for what a run creates. The same schedule, run and pod
// always give the same ContainerCheckpoint name, so a controller that crashed
// halfway through a run creates the rest on restart and reads AlreadyExists
// as "done", without listing first.
import { createHash } from 'node:crypto';

const maxNameLength = 253;
const maxLabelValueLength = 63;
const hashLength = 8;

export type ScheduleKind = 'CheckpointSchedule' | 'ClusterCheckpointSchedule';

/** The ckpt.dev/run value of a run: its scheduled instant in Unix minutes, as CronJob names its Jobs. */
export function runId(scheduledTime: Date): string {
  return String(Math.floor(scheduledTime.getTime() / 60_000));
}

export interface CheckpointIdentity {
  scheduleKind: ScheduleKind;
  /** Unset for the cluster-scoped kind. */
  scheduleNamespace?: string | undefined;
  scheduleName: string;
  run: string;
  podNamespace: string;
  podName: string;
}

/**
 * `<schedule>-<run>-<pod>-<hash>`, a DNS subdomain of at most 253 characters.
 * The hash covers the whole identity, kind and namespaces included, so that
 * names stay unique where the readable part is cut short or is ambiguous (a
 * CheckpointSchedule and a ClusterCheckpointSchedule of the same name
 * checkpointing the same pod; "a-1" + pod "b" against "a" + pod "1-b").
 */
export function checkpointName(id: CheckpointIdentity): string {
  const hash = shortHash([id.scheduleKind, id.scheduleNamespace ?? '', id.scheduleName, id.run, id.podNamespace, id.podName]);
  const budget = maxNameLength - id.run.length - hash.length - 3;
  const [schedule, pod] = fit(id.scheduleName, id.podName, budget);
  return `${schedule}-${id.run}-${pod}-${hash}`;
}

/**
 * The ckpt.dev/schedule label value for a schedule name: the name itself when
 * it fits a label value (63 characters), else its start and a hash. List
 * calls must select with this value, not with the raw name.
 */
export function scheduleLabelValue(scheduleName: string): string {
  if (scheduleName.length <= maxLabelValueLength) return scheduleName;
  const hash = shortHash([scheduleName]);
  return `${trimEnd(scheduleName.slice(0, maxLabelValueLength - hash.length - 1))}-${hash}`;
}

// Cuts two names to fit a budget together, sharing it evenly but letting a
// short one leave its unused share to the other.
function fit(a: string, b: string, budget: number): [string, string] {
  if (a.length + b.length <= budget) return [a, b];
  const half = Math.floor(budget / 2);
  const aLen = Math.min(a.length, Math.max(half, budget - b.length));
  const bLen = Math.min(b.length, budget - aLen);
  return [trimEnd(a.slice(0, aLen)), trimEnd(b.slice(0, bLen))];
}

// A cut name may end in "-" or "."; before the joining "-" that would make
// "--" (allowed, but ugly) or ".-" (not a DNS subdomain).
function trimEnd(s: string): string {
  return s.replace(/[-.]+$/, '');
}

function shortHash(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, hashLength);
}
