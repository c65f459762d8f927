// Runs a dump (or pre-dump) request through `criu swrk`: opens the images and
// work directories for CRIU to reach through /proc/<our pid>/fd/<n> (the
// images_dir path field is broken in CRIU 4.1.1), and turns the outcome into
// statistics or a classified CriuError carrying the tail of CRIU's log.
import { constants } from 'node:fs';
import { open, readFile, statfs, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyCriuFailure, logTail } from './classify.ts';
import { defaultDumpLogFile, type DumpRequest } from './dump-request.ts';
import { CriuError } from './errors.ts';
import { readDumpStats, type DumpStats } from './stats.ts';
import { callCriu, type CriuRunner, type NotifyHandler } from './swrk.ts';
import { criuFeatures } from './version.ts';

export interface CriuDumpParams {
  request: DumpRequest;
  /** Existing directory for the images, as this process sees it. */
  imagesDir: string;
  /** Existing directory for CRIU's log and stats-dump; the images directory when unset. */
  workDir?: string;
  runner?: CriuRunner;
  /** Deadline for the whole CRIU run; past it CRIU is SIGKILLed (CriuTimeout). */
  timeoutMs: number;
  onNotify?: NotifyHandler;
  signal?: AbortSignal;
}

export interface CriuDumpResult {
  /** From stats-dump; undefined if CRIU wrote none (statsError says why). */
  stats?: DumpStats;
  statsError?: string;
  /** Notifications CRIU sent, in order (pre-dump, network-lock, post-dump, ...). */
  notifications: string[];
  /** CRIU's log file, as this process sees it. */
  logFile: string;
  /** The first error CRIU logged even though it succeeded (usually the harmless RLIMIT_NOFILE line). */
  crErrmsg?: string;
  criuPid: number;
}

const logTailLines = 20;

// libuv opens with O_CLOEXEC: CRIU reaches the fd through /proc, not by inheritance.
async function openDir(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDONLY | constants.O_DIRECTORY);
}

async function readLog(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

// Less room than this where CRIU writes means it ran out of space.
const fullBelowBytes = 1024 * 1024;

/**
 * Whether the filesystem holding dir is full. When it is, CRIU cannot write
 * the error to its log either (the log lives there too), so a failure
 * without a cause in the log is read as a full disk.
 */
async function isFull(dir: string): Promise<boolean> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize < fullBelowBytes;
  } catch {
    return false;
  }
}

/** A failure whose log names no cause, in a full filesystem, is DiskFull. */
async function orDiskFull(err: CriuError, dirs: readonly string[]): Promise<CriuError> {
  if (err.reason !== 'CriuFailed' && err.reason !== 'CriuExited') return err;
  for (const dir of dirs) {
    if (await isFull(dir)) {
      return new CriuError('DiskFull', `writing the checkpoint images failed: no space left on device in ${dir} (${err.message})`, err.details, { cause: err });
    }
  }
  return err;
}

function needsMemoryTracking(request: DumpRequest): boolean {
  return request.type === 'PRE_DUMP' || request.opts.trackMem === true || request.opts.parentImg !== undefined;
}

/**
 * Like runc, asks CRIU first whether memory tracking works before a request
 * that needs it: without soft-dirty support CRIU 4.1 either refuses late or
 * trips an assertion in the middle of a pre-dump.
 */
async function requireMemoryTracking(params: CriuDumpParams): Promise<void> {
  const features = await criuFeatures({ memTrack: true }, { runner: params.runner, timeoutMs: params.timeoutMs, signal: params.signal });
  if (features.memTrack !== true) {
    throw new CriuError('MemoryTrackingUnavailable',
      `memory tracking (soft-dirty pages) is not available in this kernel: ${params.request.type === 'PRE_DUMP' ? 'a pre-dump' : 'a dump with a parent or track_mem'} cannot be done`);
  }
}

export async function criuDump(params: CriuDumpParams): Promise<CriuDumpResult> {
  const deadline = performance.now() + params.timeoutMs;
  if (needsMemoryTracking(params.request)) await requireMemoryTracking(params);
  const workDir = params.workDir ?? params.imagesDir;
  const logFile = join(workDir, params.request.opts.logFile ?? defaultDumpLogFile);
  const handles: FileHandle[] = [];
  try {
    const images = await openDir(params.imagesDir);
    handles.push(images);
    let workFd: number | undefined;
    if (params.workDir !== undefined) {
      const work = await openDir(params.workDir);
      handles.push(work);
      workFd = work.fd;
    }
    const opts = { ...params.request.opts, imagesDirFd: images.fd, ...(workFd !== undefined ? { workDirFd: workFd } : {}) };

    let result;
    try {
      result = await callCriu({ type: params.request.type, opts }, {
        runner: params.runner, timeoutMs: Math.max(1, deadline - performance.now()), onNotify: params.onNotify, signal: params.signal,
      });
    } catch (err) {
      if (!(err instanceof CriuError)) throw err;
      const log = await readLog(logFile);
      if (log === undefined) throw await orDiskFull(err, [workDir, params.imagesDir]);
      err.details.logTail = logTail(log, logTailLines);
      err.details.logFile = logFile;
      // CRIU can crash after logging the real cause (an unresolvable page
      // server name makes 4.1.1 segfault): name the cause, keep the crash.
      if (err.reason === 'CriuExited') {
        const cause = classifyCriuFailure({ log, output: err.details.output, usedPageServer: opts.ps !== undefined, usedMemoryTracking: needsMemoryTracking(params.request) });
        if (cause.reason !== 'CriuFailed') throw new CriuError(cause.reason, `${cause.message}; then ${err.message}`, err.details, { cause: err });
      }
      throw await orDiskFull(err, [workDir, params.imagesDir]);
    }

    const { response } = result;
    if (!response.success) {
      const log = await readLog(logFile);
      const { reason, message } = classifyCriuFailure({
        crErrmsg: response.crErrmsg, log, output: result.output, usedPageServer: opts.ps !== undefined,
        usedMemoryTracking: needsMemoryTracking(params.request),
      });
      throw await orDiskFull(new CriuError(reason, message, {
        crErrmsg: response.crErrmsg, crErrno: response.crErrno, output: result.output,
        exitCode: result.exitCode, signal: result.exitSignal, logFile,
        ...(log !== undefined ? { logTail: logTail(log, logTailLines) } : {}),
      }), [workDir, params.imagesDir]);
    }

    const out: CriuDumpResult = { notifications: result.notifications, logFile, criuPid: result.pid };
    if (response.crErrmsg !== undefined) out.crErrmsg = response.crErrmsg;
    try {
      out.stats = await readDumpStats(workDir);
    } catch (err) {
      out.statsError = (err as Error).message;
    }
    return out;
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
}
