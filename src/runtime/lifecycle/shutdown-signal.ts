// SIGTERM/SIGINT as an AbortSignal. The first signal asks for a graceful
// stop; a second one means the operator is out of patience and the process
// exits at once (as controller-runtime does).
import type { Logger } from 'pino';
import { silentLogger } from '../logging/logger.ts';

export interface ShutdownSignalOptions {
  signals?: NodeJS.Signals[];
  logger?: Logger;
  /** Called on the second signal (default: process.exit(1)). */
  onSecondSignal?: (sig: NodeJS.Signals) => void;
  /** Process to listen on (tests pass an EventEmitter). */
  process?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
}

export interface ShutdownSignal {
  readonly signal: AbortSignal;
  /** Stops listening for the signals. */
  dispose(): void;
}

export function shutdownSignal(opts: ShutdownSignalOptions = {}): ShutdownSignal {
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const proc = opts.process ?? process;
  const log = opts.logger ?? silentLogger();
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!ac.signal.aborted) {
      log.info({ signal: sig }, 'shutting down gracefully');
      ac.abort(new Error(`received ${sig}`));
      return;
    }
    log.warn({ signal: sig }, 'second signal: exiting now');
    if (opts.onSecondSignal !== undefined) opts.onSecondSignal(sig);
    else process.exit(1);
  };
  for (const s of signals) proc.on(s, onSignal);
  return {
    signal: ac.signal,
    dispose: () => { for (const s of signals) proc.off(s, onSignal); },
  };
}
