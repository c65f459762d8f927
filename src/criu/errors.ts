// Typed CRIU failures. Reasons are CamelCase words meant for a resource's
// status; where one names the same thing as a ContainerCheckpoint failure
// reason (CriuTimeout, CriuFailed, MemoryTrackingUnavailable,
// PageServerUnreachable, DiskFull, ContainerGone) it uses the same word.
export const criuFailureReasons = [
  /** The call ran past its deadline; CRIU was killed. */
  'CriuTimeout',
  /** The caller cancelled the call; CRIU was killed. */
  'CriuAborted',
  /** The CRIU command (or its prefix, such as nsenter) does not exist. */
  'CriuNotFound',
  /** CRIU could not be started for another reason. */
  'CriuSpawnFailed',
  /** CRIU exited or closed its socket without a final response. */
  'CriuExited',
  /** CRIU sent something that is not a valid response. */
  'CriuProtocolError',
  /** The caller's handler for a CRIU notification failed; CRIU was told so and gave up. */
  'NotifyHandlerFailed',
  /** Soft-dirty memory tracking is missing: no pre-dump, track_mem or parent images. */
  'MemoryTrackingUnavailable',
  /** The page server could not be reached or dropped the connection. */
  'PageServerUnreachable',
  /** CRIU's network lock (iptables-restore or nft) failed. */
  'NetworkLockFailed',
  /** Established TCP connections without tcp_established. */
  'EstablishedTcpConnection',
  /** A UNIX socket connected outside the container without ext_unix_sk. */
  'ExternalUnixSocket',
  /** File locks held without file_locks. */
  'FileLocksHeld',
  /** A terminal session without shell_job. */
  'ShellJob',
  /** The process to dump went away before or during the dump. */
  'ContainerGone',
  /** Writing images failed for lack of space. */
  'DiskFull',
  /** Any other CRIU failure; the message and log tail say more. */
  'CriuFailed',
] as const;
export type CriuFailureReason = (typeof criuFailureReasons)[number];

export interface CriuErrorDetails {
  /** Last lines of CRIU's log file (dump.log), when there is one. */
  logTail?: string;
  /** What CRIU printed on stdout/stderr (usually nothing: it logs to its log file). */
  output?: string;
  /** cr_errmsg and cr_errno from the RPC response. */
  crErrmsg?: string;
  crErrno?: number;
  exitCode?: number | null;
  signal?: string | null;
  /** Path of CRIU's log file, in this process's view. */
  logFile?: string;
  /** What the caller did to undo the failure's effects (e.g. "container freezer: thawed"). */
  cleanup?: string;
}

export class CriuError extends Error {
  readonly reason: CriuFailureReason;
  readonly details: CriuErrorDetails;

  constructor(reason: CriuFailureReason, message: string, details: CriuErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CriuError';
    this.reason = reason;
    this.details = details;
  }
}

export function isCriuError(err: unknown): err is CriuError {
  return err instanceof CriuError;
}
