// The status a reconcile writes: every field derived afresh from the
// decision and the checkpoints, so that writing it twice changes nothing and
// an unchanged status is not written at all.
import type { CheckpointScheduleStatus } from '../../api/checkpoint-schedule.ts';
import { conditionTypes } from '../../api/conditions.ts';
import { formatTime } from '../../runtime/kube/micro-time.ts';
import { setCondition } from '../../runtime/objects/conditions.ts';
import type { ActiveCheckpoint } from './concurrency.ts';
import { scheduleValidReasons } from './reasons.ts';

/** Most entries of status.active (the CRD's maxItems). */
export const maxActiveEntries = 10_000;

export type Validity = { ok: true } | { ok: false; reason: string; message: string };

export interface StatusInput {
  current: CheckpointScheduleStatus | undefined;
  generation: number | undefined;
  now: number;
  validity: Validity;
  lastScheduleTime: Date | undefined;
  /** Unset when suspended, invalid, or the schedule never fires again. */
  nextScheduleTime: Date | undefined;
  lastSuccessfulTime: Date | undefined;
  active: readonly ActiveCheckpoint[];
}

export function nextStatus(input: StatusInput): CheckpointScheduleStatus {
  const { current, generation, validity } = input;
  const condition = validity.ok
    ? { type: conditionTypes.scheduleValid, status: 'True' as const, reason: scheduleValidReasons.valid, message: 'the schedule and time zone can be evaluated' }
    : { type: conditionTypes.scheduleValid, status: 'False' as const, reason: validity.reason, message: validity.message };
  const status: CheckpointScheduleStatus = {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: setCondition(current?.conditions, { ...condition, ...(generation !== undefined ? { observedGeneration: generation } : {}) }, input.now),
  };
  if (input.lastScheduleTime !== undefined) status.lastScheduleTime = formatTime(input.lastScheduleTime.getTime());
  if (input.lastSuccessfulTime !== undefined) status.lastSuccessfulTime = formatTime(input.lastSuccessfulTime.getTime());
  if (input.nextScheduleTime !== undefined) status.nextScheduleTime = formatTime(input.nextScheduleTime.getTime());
  if (input.active.length > 0) {
    status.active = input.active.slice(0, maxActiveEntries).map((a) => ({ namespace: a.namespace, name: a.name }));
  }
  return status;
}

/** Whether writing next would change what the server holds. */
export function statusDiffers(current: CheckpointScheduleStatus | undefined, next: CheckpointScheduleStatus): boolean {
  return canonical(current ?? {}) !== canonical(next);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
