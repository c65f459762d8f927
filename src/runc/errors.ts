// Typed refusals and failures of runc container resolution. Reasons are
// CamelCase words for a resource's status; ContainerCreated and PidReused are
// the same words as the ContainerCheckpoint failure reasons.
export const runcFailureReasons = [
  /** The ID is empty, too long, or has characters outside [A-Za-z0-9_.-]. */
  'InvalidContainerId',
  /** No state directory for this ID under the runc root. */
  'ContainerNotFound',
  /** The state directory or state.json is a symlink or not a regular file/directory. */
  'UnsafeStatePath',
  /** state.json (or the bundle's config.json) cannot be read or parsed. */
  'InvalidRuncState',
  /** runc's "created" state: init waits on exec.fifo; runc refuses to checkpoint it. */
  'ContainerCreated',
  /** The init process is gone, a zombie, or not the one runc started. */
  'ContainerStopped',
  /** The init PID now belongs to another process (start time differs from init_process_start). */
  'PidReused',
  /** The freezer cgroup cannot be read or written. */
  'FreezerFailed',
] as const;
export type RuncFailureReason = (typeof runcFailureReasons)[number];

export class RuncError extends Error {
  readonly reason: RuncFailureReason;

  constructor(reason: RuncFailureReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RuncError';
    this.reason = reason;
  }
}
