// Structured JSON logs (pino). One root logger per process; components take a
// child with their own bindings, reconciles take a child per object.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };
export type LogLevel = LevelWithSilent;
export const logLevels: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface LoggerOptions {
  level?: LogLevel;
  /**
   * Bound to every line as "logger" (e.g. "ckpt-controller"). Not "name":
   * reconcile loggers use name and namespace for the object, as controller-runtime does.
   */
  name?: string;
  /** Where lines go (default stdout); tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: opts.name !== undefined ? { logger: opts.name } : null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      // "level":"info" reads better than pino's numeric levels in kubectl logs.
      level: (label: string) => ({ level: label }),
    },
  };
  return opts.destination !== undefined ? pino(options, opts.destination) : pino(options);
}

/** A logger that discards everything: the default for components given none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Error fields for a log line, without the stack unless the level is debug. */
export function errorFields(err: unknown): { err: { message: string; name?: string; code?: number | string } } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { err: { message: err.message, name: err.name, ...(typeof code === 'number' || typeof code === 'string' ? { code } : {}) } };
  }
  return { err: { message: String(err) } };
}
