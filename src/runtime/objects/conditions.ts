// metav1.Condition helpers with the semantics of apimachinery's
// meta.SetStatusCondition: conditions are a list keyed by type;
// lastTransitionTime moves only when status changes; reason, message and
// observedGeneration always take the new values. Functions return new arrays
// and never modify their input (cached objects are frozen).
import { formatTime } from '../kube/micro-time.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  /** CamelCase, e.g. PodNotFound. */
  reason: string;
  message?: string;
  observedGeneration?: number;
}

// The metav1.Condition schema allows more, but API conventions ask for CamelCase words.
const reasonPattern = /^[A-Z][A-Za-z0-9]*$/;
const typePattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
const maxMessage = 32_768;

export function validateConditionUpdate(u: ConditionUpdate): void {
  if (!typePattern.test(u.type) || u.type.length > 316) throw new Error(`invalid condition type ${JSON.stringify(u.type)}`);
  // Callers from plain JSON can pass anything here.
  const status: string = u.status;
  if (status !== 'True' && status !== 'False' && status !== 'Unknown') {
    throw new Error(`invalid condition status ${JSON.stringify(u.status)}: want True, False or Unknown`);
  }
  if (!reasonPattern.test(u.reason) || u.reason.length > 1024) {
    throw new Error(`invalid condition reason ${JSON.stringify(u.reason)}: want a CamelCase word such as PodNotFound`);
  }
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** The conditions with u applied; now is the transition time if status changes. */
export function setCondition(conditions: readonly Condition[] | undefined, u: ConditionUpdate, now: number = Date.now()): Condition[] {
  validateConditionUpdate(u);
  const message = (u.message ?? '').slice(0, maxMessage);
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === u.type);
  const existing = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: u.type,
    status: u.status,
    ...(u.observedGeneration !== undefined ? { observedGeneration: u.observedGeneration }
      : existing?.observedGeneration !== undefined ? { observedGeneration: existing.observedGeneration } : {}),
    lastTransitionTime: existing !== undefined && existing.status === u.status ? existing.lastTransitionTime : formatTime(now),
    reason: u.reason,
    message,
  };
  if (existing === undefined) list.push(next);
  else list[i] = next;
  return list;
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Whether two condition lists say the same thing (order of types ignored). */
export function conditionsEqual(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  return x.every((c) => {
    const d = findCondition(y, c.type);
    return d !== undefined && d.status === c.status && d.reason === c.reason && d.message === c.message
      && d.lastTransitionTime === c.lastTransitionTime && d.observedGeneration === c.observedGeneration;
  });
}
