// Runs one claimed checkpoint on this node: for each container, re-check the
// pod, check the page server against the allowlist, dump and archive it, and
// report progress; then the final status, audit events and metrics. Any
// failure leaves the container running and thawed (src/runc/checkpoint.ts
// guarantees it), removes partial files and ends the resource Failed.
import type { V1Pod } from '@kubernetes/client-node';
import { failureReasons } from '../../api/conditions.ts';
import { isFinished, outcomeOf } from '../../api/checkpoint-state.ts';
import { resources } from '../../api/names.ts';
import type { KubeObject } from '../../runtime/kube/object.ts';
import { coreResources } from '../../runtime/kube/resource.ts';
import { isNotFound } from '../../runtime/kube/api-error.ts';
import type { KubeClient } from '../../runtime/kube/kube-client.ts';
import type { EventRecorder } from '../../runtime/events/event-recorder.ts';
import type { Logger } from '../../runtime/logging/logger.ts';
import type { CriuRunner } from '../../criu/swrk.ts';
import { PageServerNotAllowedError, type PageServerAllowlist } from '../../policy/page-server-allowlist.ts';
import type { ArchiveRoot } from '../archive/archive-root.ts';
import type { CompressionLevels } from '../archive/write-archive.ts';
import type { AgentMetrics } from '../agent-metrics.ts';
import { dumpContainer, type ContainerDumpResult } from '../pipeline/container-dump.ts';
import { DumpFailure, toDumpFailure } from '../pipeline/dump-failure.ts';
import { removeCheckpointFiles } from './cleanup.ts';
import { checkpointDir } from './layout.ts';
import { parentImagesDir } from './parent-images.ts';
import { checkPod } from './pod-check.ts';
import { containerDone, containerFailed, finished } from './status-builders.ts';
import { CheckpointGoneError, StatusRefusedError, mutateStatus, type Ckpt } from './status-updater.ts';

export interface JobDeps {
  client: KubeClient;
  root: ArchiveRoot;
  nodeName: string;
  identity: string;
  /** runc root per runtime scheme (containerd, cri-o). */
  runcRoots: Record<string, string>;
  runner: CriuRunner;
  criuLogLevel: number;
  compressionLevels: CompressionLevels;
  allowlist: PageServerAllowlist;
  events: EventRecorder;
  metrics: AgentMetrics;
  logger: Logger;
  now: () => Date;
}

/** What widens a checkpoint's exposure, for the audit trail. */
export function exposure(c: Ckpt): string[] {
  const o = c.spec.options ?? {};
  const out: string[] = [];
  if (o.pageServer?.address !== undefined) out.push(`page server ${o.pageServer.address}:${String(o.pageServer.port)}`);
  if (o.tcpEstablished === true) out.push('tcp-established');
  if (o.leaveRunning === false) out.push('leave-running=false');
  if (o.extUnixSk === true) out.push('ext-unix-sk');
  return out;
}

function schemeAndId(containerID: string): [string, string] {
  const i = containerID.indexOf('://');
  return i < 0 ? ['', containerID] : [containerID.slice(0, i), containerID.slice(i + 3)];
}

interface TargetContext {
  claimed: Ckpt;
  target: { name: string; containerID: string };
  pod: V1Pod | undefined;
  deadline: number;
  signal: AbortSignal;
  log: Logger;
}

/** One container: the agent's own checks (pod, runtime, page server), then the dump and archive. */
async function dumpTarget(d: JobDeps, t: TargetContext): Promise<ContainerDumpResult> {
  const { claimed, target, pod } = t;
  const ns = claimed.metadata.namespace ?? '';
  const check = checkPod(pod, { nodeName: d.nodeName, podName: claimed.spec.podName, podUID: claimed.status?.sourcePodUID, container: target.name, containerID: target.containerID });
  if (!check.ok) throw new DumpFailure(check.reason, check.message);
  const [scheme, id] = schemeAndId(target.containerID);
  const runcRoot = d.runcRoots[scheme];
  if (runcRoot === undefined) throw new DumpFailure(failureReasons.unsupportedRuntime, `this agent has no runc root for ${scheme}`);
  let pageServerAddress: string | undefined;
  const ps = claimed.spec.options?.pageServer;
  if (ps?.address !== undefined && ps.port !== undefined) {
    try {
      pageServerAddress = await d.allowlist.check(ps.address, ps.port);
    } catch (err) {
      if (err instanceof PageServerNotAllowedError) throw new DumpFailure(failureReasons.pageServerNotAllowed, err.message);
      throw err;
    }
  }
  const parentImages = await parentImagesDir(d.client, claimed, target.name, d.nodeName, t.signal);
  const st = pod?.status?.containerStatuses?.find((s) => s.name === target.name);
  return dumpContainer({
    root: d.root, runcRoot, containerId: id, checkpointDir: checkpointDir(claimed), owner: claimed.metadata.uid ?? '',
    identity: { name: target.name, podName: claimed.spec.podName, podNamespace: ns, podUID: pod?.metadata?.uid ?? '', image: st?.image ?? '', imageRef: st?.imageID ?? '' },
    options: claimed.spec.options ?? {}, compression: claimed.spec.archive?.compression ?? 'Zstd',
    compressionLevels: d.compressionLevels, runner: d.runner, criuLogLevel: d.criuLogLevel,
    timeoutMs: Math.max(1, t.deadline - d.now().getTime()), signal: t.signal,
    ...(pageServerAddress !== undefined ? { pageServerAddress } : {}),
    ...(parentImages !== undefined ? { parentImagesDir: parentImages } : {}),
    // The audit trail of exactly what CRIU was asked to do.
    onCriuRequest: (req) => { t.log.info({ container: target.name, criuRequest: req }, 'CRIU request'); },
  });
}

export async function runCheckpointJob(d: JobDeps, claimed: Ckpt, signal: AbortSignal): Promise<void> {
  const ns = claimed.metadata.namespace ?? '';
  const name = claimed.metadata.name ?? '';
  const log = d.logger.child({ checkpoint: `${ns}/${name}` });
  const mine = (c: Ckpt): boolean => c.status?.agent?.identity === d.identity && !isFinished(c);
  const started = new Date(claimed.status?.startTime ?? d.now().toISOString()).getTime();
  const deadline = started + (claimed.spec.timeoutSeconds ?? 120) * 1000;
  const widened = exposure(claimed);
  const pod = await d.client.get<V1Pod & KubeObject>(coreResources.pods, claimed.spec.podName, ns, signal).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  const audit = (type: 'Normal' | 'Warning', reason: string, note: string): void => {
    d.events.event(claimed, { type, reason, action: 'Checkpoint', note });
    if (pod !== undefined) d.events.event(pod, { type, reason, action: 'Checkpoint', note: `${note} (ContainerCheckpoint ${name})`, related: claimed });
  };
  audit('Normal', 'CheckpointStarted', `agent ${d.identity} on ${d.nodeName} started checkpointing ${(claimed.status?.containers ?? []).map((x) => x.name).join(', ')}${widened.length > 0 ? `; widened exposure: ${widened.join(', ')}` : ''}`);
  let failure: DumpFailure | undefined;
  try {
    for (const target of claimed.status?.containers ?? []) {
      let r: ContainerDumpResult;
      try {
        r = await dumpTarget(d, { claimed, target, pod, deadline, signal, log });
      } catch (err) {
        const f = toDumpFailure(err);
        d.metrics.dumps.inc({ result: 'failed', reason: f.reason });
        await mutateStatus(d.client, ns, name, (c) => (mine(c) ? containerFailed(c.status ?? {}, target.name, f.containerReason, f.message) : undefined), { signal }).catch(() => undefined);
        throw f;
      }
      d.metrics.dumps.inc({ result: 'succeeded', reason: '' });
      d.metrics.dumpSeconds.observe(r.dumpMillis / 1000);
      d.metrics.archiveSeconds.observe({ compression: r.archive.compression }, r.archiveMillis / 1000);
      d.metrics.archiveBytes.inc({ compression: r.archive.compression }, Number(r.archive.sizeBytes));
      if (r.stats !== undefined) d.metrics.observeStats(r.stats);
      log.info({ container: target.name, archive: r.archive.path, bytes: r.archive.sizeBytes.toString(), dumpMs: Math.round(r.dumpMillis), archiveMs: Math.round(r.archiveMillis) }, 'container checkpointed');
      // A refusal here (the controller failed the checkpoint meanwhile) stops the job below.
      await mutateStatus(d.client, ns, name, (c) => (mine(c) ? containerDone(c.status ?? {}, target.name, r) : undefined), { signal });
    }
  } catch (err) {
    if (err instanceof CheckpointGoneError || err instanceof StatusRefusedError) {
      log.info(`stopping: ${err.message}`);
      await cleanupIfFailedOrGone(d, claimed);
      return;
    }
    failure = signal.aborted && !(err instanceof DumpFailure)
      ? new DumpFailure(failureReasons.agentRestarted, 'the agent stopped during the checkpoint')
      : toDumpFailure(err);
  }
  await finish(d, claimed, failure, audit, log);
}

async function finish(d: JobDeps, claimed: Ckpt, failure: DumpFailure | undefined,
  audit: (type: 'Normal' | 'Warning', reason: string, note: string) => void, log: Logger): Promise<void> {
  const ns = claimed.metadata.namespace ?? '';
  const name = claimed.metadata.name ?? '';
  if (failure !== undefined) await removeCheckpointFiles(d.root, claimed).catch(() => undefined);
  try {
    const done = await mutateStatus(d.client, ns, name, (c) => (c.status?.agent?.identity === d.identity && !isFinished(c)
      ? finished(c, c.status, d.now(), failure === undefined ? undefined : { reason: failure.reason, message: failure.message })
      : undefined));
    if (failure === undefined) {
      const digests = (done.status?.containers ?? []).map((x) => `${x.name} sha256:${x.archive?.sha256 ?? '?'}`).join(', ');
      audit('Normal', 'CheckpointCompleted', `checkpoint written on ${d.nodeName}: ${digests}`);
    } else {
      log.warn({ reason: failure.reason }, failure.message);
      audit('Warning', failure.reason, failure.message.split('\n')[0] ?? failure.message);
    }
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not record the outcome');
    await cleanupIfFailedOrGone(d, claimed);
  }
}

/** Files of a checkpoint that is gone, or that someone else failed, go. */
async function cleanupIfFailedOrGone(d: JobDeps, c: Ckpt): Promise<void> {
  const current = await d.client.get<Ckpt>(resources.containerCheckpoints, c.metadata.name ?? '', c.metadata.namespace).catch(() => undefined);
  if (current === undefined || outcomeOf(current) === 'failed') await removeCheckpointFiles(d.root, c).catch(() => undefined);
}
