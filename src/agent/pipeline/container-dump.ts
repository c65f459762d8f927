// Checkpoints one container into one archive: resolve its runc state, dump it
// with CRIU (src/runc, src/criu), then, with the container running again,
// pack images, metadata and its root filesystem changes into a compressed
// archive. No Kubernetes here: the worker passes plain values in.
import { join, relative } from 'node:path';
import { isSafeRelativePath, type CheckpointOptions, type Compression } from '../../api/checkpoint-options.ts';
import { failureReasons } from '../../api/conditions.ts';
import type { DumpOptions, DumpRequest, ManageCgroupsMode } from '../../criu/dump-request.ts';
import type { DumpStats } from '../../criu/stats.ts';
import type { CriuRunner } from '../../criu/swrk.ts';
import { checkpointContainer } from '../../runc/checkpoint.ts';
import { readBundleSpec, resolveContainer, rootfsOverlay } from '../../runc/container.ts';
import { archiveFileName } from '../archive/archive-name.ts';
import { PathEscapeError, type ArchiveRoot } from '../archive/archive-root.ts';
import { packCheckpoint, type ContainerIdentity } from '../archive/checkpoint-layout.ts';
import { writeRootfsDiff } from '../archive/rootfs-diff.ts';
import { markOwner } from '../archive/owner-mark.ts';
import { writeArchive, type CompressionLevels } from '../archive/write-archive.ts';
import { DumpFailure, toDumpFailure } from './dump-failure.ts';

export interface ContainerDumpParams {
  root: ArchiveRoot;
  runcRoot: string;
  /** Runtime container ID without its scheme. */
  containerId: string;
  identity: Omit<ContainerIdentity, 'id' | 'createdTime' | 'runtime'>;
  /** Directory of this checkpoint below the archive root (namespace/name-uid). */
  checkpointDir: string;
  /** The checkpoint's UID: marks the directories its spec chose (see owner-mark.ts). */
  owner: string;
  options: CheckpointOptions;
  /** Page server address after the allowlist check (a resolved IP). */
  pageServerAddress?: string;
  /** The parent checkpoint's images directory for this container, relative to the archive root. */
  parentImagesDir?: string;
  compression: Compression;
  compressionLevels?: CompressionLevels;
  runner: CriuRunner;
  criuLogLevel?: number;
  timeoutMs: number;
  signal?: AbortSignal;
  now?: () => Date;
  /** Sees the CRIU request right before CRIU gets it. */
  onCriuRequest?: (request: DumpRequest) => void;
}

export interface ContainerDumpResult {
  archive: { path: string; sizeBytes: bigint; sha256: string; compression: Compression };
  stats?: DumpStats;
  /**
   * Wall time of the dump part: from the start (resolving the container,
   * making directories, building the request) until CRIU returned and the
   * container runs again. What `runc checkpoint` takes, in the agent.
   */
  dumpMillis: number;
  /** Wall time of writing the archive, after the container resumed. */
  archiveMillis: number;
  /** The whole job for this container: dump and archive. */
  durationMillis: number;
}

/**
 * The CRIU dump options for a checkpoint's options. A page server goes to
 * CRIU only as the address the allowlist check returned, never as the spec
 * wrote it.
 */
export function criuOptions(o: CheckpointOptions, pageServerAddress: string | undefined, logLevel: number, parentImage?: string): DumpOptions {
  const out: DumpOptions = {
    leaveRunning: o.leaveRunning ?? true,
    tcpEstablished: o.tcpEstablished ?? false,
    extUnixSk: o.extUnixSk ?? false,
    shellJob: o.shellJob ?? false,
    fileLocks: o.fileLocks ?? false,
    logLevel,
  };
  // Unset stays unset: CRIU's default (soft), sent as runc sends it.
  if (o.manageCgroupsMode !== undefined) out.manageCgroupsMode = o.manageCgroupsMode.toLowerCase() as ManageCgroupsMode;
  if (o.emptyNamespaces !== undefined && o.emptyNamespaces.length > 0) out.emptyNamespaces = o.emptyNamespaces.map((n) => n.toLowerCase());
  if (o.pageServer !== undefined) {
    if (pageServerAddress === undefined || o.pageServer.port === undefined) {
      throw new DumpFailure(failureReasons.pageServerNotAllowed, 'the page server was not checked against the allowlist');
    }
    out.pageServer = { address: pageServerAddress, port: o.pageServer.port };
  }
  if (o.preDump === true) out.preDump = true;
  if (o.parentCheckpoint !== undefined) {
    if (parentImage === undefined) throw new DumpFailure(failureReasons.parentNotFound, `the images of the parent checkpoint ${o.parentCheckpoint} were not found`);
    out.parentImage = parentImage;
  }
  return out;
}

/** Where this container's images and CRIU work files go, relative to the archive root. */
export function containerDirs(checkpointDir: string, container: string, o: CheckpointOptions): { images: string; work: string; userChosen: boolean } {
  if (o.imagePath !== undefined || o.workPath !== undefined) {
    const images = `${o.imagePath ?? `${checkpointDir}/${container}/checkpoint`}/${container}`;
    const work = `${o.workPath ?? `${checkpointDir}/${container}/work`}/${container}`;
    return { images, work, userChosen: true };
  }
  return { images: `${checkpointDir}/${container}/checkpoint`, work: `${checkpointDir}/${container}`, userChosen: false };
}

/** The API refuses these already; the agent does not rely on that (an old CRD, a direct etcd write). */
function checkChosenPaths(o: CheckpointOptions): void {
  for (const [field, value] of [['imagePath', o.imagePath], ['workPath', o.workPath]] as const) {
    if (value !== undefined && !isSafeRelativePath(value)) {
      throw new PathEscapeError(`${field} ${JSON.stringify(value)} is not a relative path inside the archive root`);
    }
  }
}

export async function dumpContainer(p: ContainerDumpParams): Promise<ContainerDumpResult> {
  const now = p.now ?? (() => new Date());
  const started = performance.now();
  checkChosenPaths(p.options);
  const dirs = containerDirs(p.checkpointDir, p.identity.name, p.options);
  let archiveFile: string | undefined;
  let deadline: AbortSignal | undefined;
  // Directories this dump made (exclusively), and only those, go on failure.
  const made: string[] = [];
  try {
    const container = await resolveContainer(p.runcRoot, p.containerId);
    await p.root.makeDir(p.checkpointDir);
    const workDir = await p.root.makeDir(dirs.work, { exclusive: true });
    made.push(dirs.work);
    if (dirs.userChosen) await markOwner(p.root, dirs.work, p.owner);
    const imagesDir = await p.root.makeDir(dirs.images, { exclusive: true });
    made.push(dirs.images);
    if (dirs.userChosen) await markOwner(p.root, dirs.images, p.owner);
    const spec = await readBundleSpec(container);
    let parentImage: string | undefined;
    if (p.parentImagesDir !== undefined) {
      if (!(await p.root.isDirectory(p.parentImagesDir))) {
        throw new DumpFailure(failureReasons.parentNotFound, `the parent checkpoint kept no images at ${p.parentImagesDir} (give it an imagePath to keep them)`);
      }
      // CRIU takes the parent relative to the images directory.
      parentImage = relative(imagesDir, p.root.resolve(p.parentImagesDir));
    }
    const dump = await checkpointContainer({
      container, imagesDir, workDir,
      options: criuOptions(p.options, p.pageServerAddress, p.criuLogLevel ?? 4, parentImage),
      runner: p.runner,
      timeoutMs: Math.max(1, p.timeoutMs - (performance.now() - started)),
      ...(p.signal !== undefined ? { signal: p.signal } : {}),
      ...(p.onCriuRequest !== undefined ? { onRequest: p.onCriuRequest } : {}),
    });
    const dumped = performance.now();
    // From here on the container runs again (or is stopped, with
    // leaveRunning false): nothing below adds to its frozen time. The
    // archive still counts against the checkpoint's timeout.
    deadline = AbortSignal.timeout(Math.max(1, Math.round(p.timeoutMs - (dumped - started))));
    const archiveSignal = p.signal === undefined ? deadline : AbortSignal.any([p.signal, deadline]);
    const overlay = await rootfsOverlay(container).catch(() => undefined);
    const diffFile = join(workDir, 'rootfs-diff.tar');
    const hasDiff = overlay !== undefined && await writeRootfsDiff(p.root, overlay.upperdir, diffFile, archiveSignal);
    const at = now();
    archiveFile = join(p.root.path, p.checkpointDir, archiveFileName(p.identity.podName, p.identity.podNamespace, p.identity.name, at, p.compression));
    const identity: ContainerIdentity = {
      ...p.identity, id: p.containerId, runtime: 'runc', createdTime: new Date(container.state.created),
    };
    const archive = await writeArchive(p.root, archiveFile, p.compression, (pack) =>
      packCheckpoint(pack, { imagesDir, workDir, spec, ...(hasDiff ? { rootfsDiff: diffFile } : {}) }, identity, at),
    p.compressionLevels, archiveSignal);
    if (!dirs.userChosen) await p.root.remove(dirs.work);
    else if (hasDiff) await p.root.remove(p.root.relative(diffFile));
    const result: ContainerDumpResult = {
      archive: { path: p.root.relative(archiveFile), sizeBytes: archive.sizeBytes, sha256: archive.sha256, compression: p.compression },
      dumpMillis: dumped - started, archiveMillis: performance.now() - dumped, durationMillis: Math.round(performance.now() - started),
    };
    if (dump.stats !== undefined) result.stats = dump.stats;
    return result;
  } catch (err) {
    // Partial files never outlive a failure.
    if (archiveFile !== undefined) await p.root.remove(p.root.relative(archiveFile)).catch(() => undefined);
    for (const dir of made.reverse()) await p.root.remove(dir).catch(() => undefined);
    // deadline is set once CRIU is done: these abort only the archive.
    if (deadline !== undefined && p.signal?.aborted === true) {
      throw new DumpFailure(failureReasons.agentRestarted, 'the agent stopped while writing the archive', { cause: err });
    }
    if (deadline?.aborted === true) {
      throw new DumpFailure(failureReasons.deadlineExceeded, `the archive was not written within the checkpoint's timeout (${Math.round(p.timeoutMs)} ms left when this container started)`, { cause: err });
    }
    throw toDumpFailure(err);
  }
}
