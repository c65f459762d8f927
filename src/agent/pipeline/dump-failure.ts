// One failure type for everything that can go wrong while dumping a
// container. Its reason is one of the ContainerCheckpoint failure reasons
// (the documented set a client can switch on); its detail, when there is
// one, is the finer cause CRIU or runc named (FileLocksHeld, CriuExited,
// UnsafeStatePath, ...), which the container's status shows.
import { failureReasons, type FailureReason } from '../../api/conditions.ts';
import { DumpOptionError } from '../../criu/dump-request.ts';
import { isCriuError, type CriuFailureReason } from '../../criu/errors.ts';
import { RuncError, type RuncFailureReason } from '../../runc/errors.ts';
import { PathEscapeError, PathInUseError } from '../archive/archive-root.ts';

export class DumpFailure extends Error {
  override readonly name = 'DumpFailure';
  readonly reason: FailureReason;
  /** The finer cause, when it says more than reason. */
  readonly detail: string | undefined;

  constructor(reason: FailureReason, message: string, options?: ErrorOptions & { detail?: string }) {
    super(message, options);
    this.reason = reason;
    this.detail = options?.detail !== undefined && options.detail !== reason ? options.detail : undefined;
  }

  /** What the container's status shows: the finer cause when there is one. */
  get containerReason(): string {
    return this.detail ?? this.reason;
  }
}

const runcReasons: Record<RuncFailureReason, FailureReason> = {
  ContainerCreated: failureReasons.containerCreated,
  ContainerStopped: failureReasons.containerNotRunning,
  ContainerNotFound: failureReasons.containerGone,
  PidReused: failureReasons.pidReused,
  // A symlink where runc keeps state is someone steering the agent's reads.
  UnsafeStatePath: failureReasons.pathEscape,
  // The ID came from the pod's status, which only the kubelet should write.
  InvalidContainerId: failureReasons.notPermitted,
  InvalidRuncState: failureReasons.unsupportedRuntime,
  FreezerFailed: failureReasons.criuFailed,
};

const criuReasons: Record<CriuFailureReason, FailureReason> = {
  CriuTimeout: failureReasons.criuTimeout,
  // Only the job's own signal cancels CRIU: the agent is stopping or lost its Lease.
  CriuAborted: failureReasons.agentRestarted,
  CriuNotFound: failureReasons.criuFailed,
  CriuSpawnFailed: failureReasons.criuFailed,
  CriuExited: failureReasons.criuFailed,
  CriuProtocolError: failureReasons.criuFailed,
  NotifyHandlerFailed: failureReasons.criuFailed,
  MemoryTrackingUnavailable: failureReasons.memoryTrackingUnavailable,
  PageServerUnreachable: failureReasons.pageServerUnreachable,
  NetworkLockFailed: failureReasons.criuFailed,
  EstablishedTcpConnection: failureReasons.criuFailed,
  ExternalUnixSocket: failureReasons.criuFailed,
  FileLocksHeld: failureReasons.criuFailed,
  ShellJob: failureReasons.criuFailed,
  ContainerGone: failureReasons.containerGone,
  DiskFull: failureReasons.diskFull,
  CriuFailed: failureReasons.criuFailed,
};

/** The reason and message for any error the pipeline met. */
export function toDumpFailure(err: unknown): DumpFailure {
  if (err instanceof DumpFailure) return err;
  if (err instanceof RuncError) return new DumpFailure(runcReasons[err.reason], err.message, { cause: err, detail: err.reason });
  if (isCriuError(err)) {
    const tail = err.details.logTail !== undefined && err.details.logTail !== '' ? `\n--- dump.log (tail) ---\n${err.details.logTail}` : '';
    const cleanup = err.details.cleanup !== undefined ? ` (${err.details.cleanup})` : '';
    return new DumpFailure(criuReasons[err.reason], `${err.message}${cleanup}${tail}`, { cause: err, detail: err.reason });
  }
  if (err instanceof DumpOptionError) {
    return new DumpFailure(err.reason === 'ConfigFileNotAllowed' ? failureReasons.notPermitted : failureReasons.invalidSpec, err.message, { cause: err, detail: err.reason });
  }
  if (err instanceof PathEscapeError) return new DumpFailure(failureReasons.pathEscape, err.message, { cause: err });
  if (err instanceof PathInUseError) {
    return new DumpFailure(failureReasons.invalidSpec, `${err.message}: every checkpoint needs directories of its own (with imagePath or workPath, choose another)`, { cause: err, detail: 'PathInUse' });
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new DumpFailure(failureReasons.diskFull, `the archive root is out of space: ${(err as Error).message}`, { cause: err });
  }
  return new DumpFailure(failureReasons.archiveFailed, err instanceof Error ? err.message : String(err), { cause: err });
}
