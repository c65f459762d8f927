// One failure type for everything that can go wrong while dumping a
// container, carrying the CamelCase reason the resource's status shows.
import { failureReasons } from '../../api/conditions.ts';
import { isCriuError } from '../../criu/errors.ts';
import { RuncError } from '../../runc/errors.ts';
import { PathEscapeError } from '../archive/archive-root.ts';

export class DumpFailure extends Error {
  override readonly name = 'DumpFailure';
  /** A FailureReason, or a finer CRIU reason (CriuExited, NetworkLockFailed, ...). */
  readonly reason: string;

  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

const runcReasons: Record<string, string> = {
  ContainerCreated: failureReasons.containerCreated,
  ContainerStopped: failureReasons.containerNotRunning,
  ContainerNotFound: failureReasons.containerGone,
  PidReused: failureReasons.pidReused,
};

/** The reason and message for any error the pipeline met. */
export function toDumpFailure(err: unknown): DumpFailure {
  if (err instanceof DumpFailure) return err;
  if (err instanceof RuncError) return new DumpFailure(runcReasons[err.reason] ?? err.reason, err.message, { cause: err });
  if (isCriuError(err)) {
    const tail = err.details.logTail !== undefined && err.details.logTail !== '' ? `\n--- dump.log (tail) ---\n${err.details.logTail}` : '';
    const cleanup = err.details.cleanup !== undefined ? ` (${err.details.cleanup})` : '';
    return new DumpFailure(err.reason, `${err.message}${cleanup}${tail}`, { cause: err });
  }
  if (err instanceof PathEscapeError) return new DumpFailure(failureReasons.pathEscape, err.message, { cause: err });
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new DumpFailure(failureReasons.diskFull, `the archive root is out of space: ${(err as Error).message}`, { cause: err });
  }
  return new DumpFailure(failureReasons.archiveFailed, err instanceof Error ? err.message : String(err), { cause: err });
}
