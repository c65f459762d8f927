// `runc checkpoint` for a resolved container, driven by the agent itself:
// the same CRIU request runc's libcontainer sends, descriptors.json in the
// images directory, and the guarantee runc does not give: after any failure
// the container is left thawed (unless it was paused before we started).
import { buildDumpRequest, type DumpOptions, type DumpRequest } from '../criu/dump-request.ts';
import { writeDescriptorsJson } from '../criu/descriptors.ts';
import { criuDump, type CriuDumpResult } from '../criu/dump.ts';
import { CriuError } from '../criu/errors.ts';
import type { CriuRunner, NotifyHandler } from '../criu/swrk.ts';
import { assertStillRunning, type RuncContainer } from './container.ts';
import { describeDumpTarget } from './dump-target.ts';
import { RuncError } from './errors.ts';
import { Freezer, type ThawOutcome } from './freezer.ts';
import { readProcStat } from './proc-stat.ts';

export interface CheckpointParams {
  container: RuncContainer;
  /** Existing images directory, as this process sees it. */
  imagesDir: string;
  /** Existing work directory for dump.log and stats-dump; the images directory when unset. */
  workDir?: string;
  options?: DumpOptions;
  runner?: CriuRunner;
  /** Deadline for CRIU; past it CRIU is killed and the container thawed. */
  timeoutMs: number;
  signal?: AbortSignal;
  onNotify?: NotifyHandler;
  /** Sees the request right before CRIU gets it (for the audit log). */
  onRequest?: (request: DumpRequest) => void;
  /** Where runc's paths are visible from this process ("/" by default). */
  fsRoot?: string;
  /** The host PID namespace's /proc ("/proc" by default). */
  procRoot?: string;
}

export interface CheckpointResult extends CriuDumpResult {
  request: DumpRequest;
}

async function thawAfterFailure(freezer: Freezer | undefined, failure: unknown): Promise<ThawOutcome | undefined> {
  if (freezer === undefined) return undefined;
  try {
    return await freezer.ensureThawed();
  } catch (err) {
    throw new RuncError('FreezerFailed',
      `the checkpoint failed (${(failure as Error).message}) and the container could not be thawed: ${(err as Error).message}`,
      { cause: failure });
  }
}

async function sameInitAlive(container: RuncContainer, procRoot: string | undefined): Promise<boolean> {
  const stat = await readProcStat(container.pid, procRoot);
  return stat !== undefined && stat.startTime === container.state.initProcessStart && stat.state !== 'Z' && stat.state !== 'X';
}

export async function checkpointContainer(params: CheckpointParams): Promise<CheckpointResult> {
  const { container } = params;
  const resolveOpts = {
    ...(params.fsRoot !== undefined ? { fsRoot: params.fsRoot } : {}),
    ...(params.procRoot !== undefined ? { procRoot: params.procRoot } : {}),
  };
  await assertStillRunning(container, resolveOpts);
  const wasPaused = container.status === 'paused';
  const freezer = wasPaused ? undefined : Freezer.fromCgroupPaths(container.state.cgroupPaths, params.fsRoot ?? '/');

  const target = await describeDumpTarget(container, resolveOpts);
  const request = buildDumpRequest(target, params.options);
  params.onRequest?.(request);
  if (request.type === 'DUMP') await writeDescriptorsJson(params.imagesDir, container.state.externalDescriptors);

  let result: CriuDumpResult;
  try {
    result = await criuDump({
      request, imagesDir: params.imagesDir, timeoutMs: params.timeoutMs,
      ...(params.workDir !== undefined ? { workDir: params.workDir } : {}),
      ...(params.runner !== undefined ? { runner: params.runner } : {}),
      ...(params.signal !== undefined ? { signal: params.signal } : {}),
      ...(params.onNotify !== undefined ? { onNotify: params.onNotify } : {}),
    });
  } catch (err) {
    const thawed = await thawAfterFailure(freezer, err);
    if (!(err instanceof CriuError)) throw err;
    if (thawed !== undefined) err.details.cleanup = `container freezer: ${thawed}`;
    // Whatever CRIU's log says, a container whose init is gone is gone.
    if (err.reason !== 'ContainerGone' && !(await sameInitAlive(container, params.procRoot))) {
      throw new CriuError('ContainerGone', `the container exited during the checkpoint (${err.message})`, err.details, { cause: err });
    }
    throw err;
  }
  // CRIU thaws on success; checking costs one read and catches the unexpected.
  if (request.opts.leaveRunning === true) await freezer?.ensureThawed();
  return { ...result, request };
}
