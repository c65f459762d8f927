// The status an agent writes at each step of a checkpoint.
import { conditionTypes, readyReasons, succeededReason } from '../../api/conditions.ts';
import type { ContainerCheckpointResult, ContainerCheckpointStatus } from '../../api/container-checkpoint.ts';
import type { DumpStats } from '../../criu/stats.ts';
import { setCondition } from '../../runtime/objects/conditions.ts';
import type { ContainerDumpResult } from '../pipeline/container-dump.ts';
import type { Ckpt } from './status-updater.ts';

export function claimed(c: Ckpt, identity: string, now: Date): ContainerCheckpointStatus {
  const s = c.status ?? {};
  const gen = c.metadata.generation;
  return {
    ...s, observedGeneration: gen,
    agent: { identity, claimTime: now.toISOString() },
    startTime: now.toISOString(),
    conditions: setCondition(s.conditions, { type: conditionTypes.ready, status: 'False', reason: readyReasons.inProgress, message: `the agent ${identity} is checkpointing`, observedGeneration: gen }, now.getTime()),
  };
}

export function statistics(s: DumpStats | undefined): ContainerCheckpointResult['statistics'] {
  if (s === undefined) return undefined;
  return {
    freezingTimeMicros: s.freezingTimeUs, frozenTimeMicros: s.frozenTimeUs,
    memdumpTimeMicros: s.memdumpTimeUs, memwriteTimeMicros: s.memwriteTimeUs,
    pagesScanned: Number(s.pagesScanned), pagesWritten: Number(s.pagesWritten), pagesSkippedParent: Number(s.pagesSkippedParent),
  };
}

function withContainer(s: ContainerCheckpointStatus, name: string, update: Partial<ContainerCheckpointResult>): ContainerCheckpointStatus {
  return { ...s, containers: (s.containers ?? []).map((x) => (x.name === name ? { ...x, ...update } : x)) };
}

export function containerDone(s: ContainerCheckpointStatus, name: string, r: ContainerDumpResult): ContainerCheckpointStatus {
  const st = statistics(r.stats);
  return withContainer(s, name, {
    archive: { path: r.archive.path, sizeBytes: r.archive.sizeBytes.toString(), sha256: r.archive.sha256, compression: r.archive.compression },
    ...(st !== undefined ? { statistics: st } : {}),
    durationMillis: r.durationMillis,
  });
}

export function containerFailed(s: ContainerCheckpointStatus, name: string, reason: string, message: string): ContainerCheckpointStatus {
  return withContainer(s, name, { reason, message: message.slice(0, 8000) });
}

export function finished(c: Ckpt, s: ContainerCheckpointStatus, now: Date, failure?: { reason: string; message: string }): ContainerCheckpointStatus {
  const gen = c.metadata.generation;
  const t = now.getTime();
  const containers = s.containers ?? [];
  const total = containers.reduce((a, x) => a + BigInt(x.archive?.sizeBytes ?? '0'), 0n);
  const frozen = Math.max(0, ...containers.map((x) => x.statistics?.frozenTimeMicros ?? 0));
  let conditions = s.conditions;
  if (failure === undefined) {
    const message = `${containers.length} container${containers.length === 1 ? '' : 's'} checkpointed`;
    conditions = setCondition(conditions, { type: conditionTypes.ready, status: 'True', reason: readyReasons.completed, message, observedGeneration: gen }, t);
    conditions = setCondition(conditions, { type: conditionTypes.succeeded, status: 'True', reason: succeededReason, message, observedGeneration: gen }, t);
  } else {
    conditions = setCondition(conditions, { type: conditionTypes.ready, status: 'False', reason: readyReasons.failed, message: failure.message, observedGeneration: gen }, t);
    conditions = setCondition(conditions, { type: conditionTypes.failed, status: 'True', reason: failure.reason, message: failure.message, observedGeneration: gen }, t);
  }
  const start = s.startTime ?? s.agent?.claimTime;
  return {
    ...s, observedGeneration: gen, conditions, completionTime: now.toISOString(),
    ...(start !== undefined ? { durationMillis: Math.max(0, t - new Date(start).getTime()) } : {}),
    ...(failure === undefined ? { totalSizeBytes: total.toString(), frozenTimeMicros: frozen } : {}),
  };
}
