// What every entry point does around its work: load configuration (flags >
// CKPT_ environment > YAML file), answer --help, create the logger, run until
// SIGTERM/SIGINT, and exit non-zero on failure (a lost lease included), so
// that Kubernetes restarts the pod.
import { ConfigError, HelpRequested, loadConfig, type LoadedConfig } from '../runtime/config/load-config.ts';
import type { OptionSet } from '../runtime/config/options.ts';
import { shutdownSignal } from '../runtime/lifecycle/shutdown-signal.ts';
import { createLogger, errorFields, type Logger, type LogLevel } from '../runtime/logging/logger.ts';

export async function runMain<D extends OptionSet>(name: string, spec: D,
  body: (cfg: LoadedConfig<D>['config'], logger: Logger, signal: AbortSignal) => Promise<void>): Promise<void> {
  let loaded: LoadedConfig<D>;
  try {
    loaded = loadConfig(spec, { argv: process.argv.slice(2), envPrefix: 'CKPT_' });
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.message}\n`);
      process.exit(0);
    }
    process.stderr.write(`${name}: ${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const cfg = loaded.config as { logLevel?: LogLevel };
  const logger = createLogger({ level: cfg.logLevel ?? 'info', name });
  const stop = shutdownSignal({ logger });
  try {
    await body(loaded.config, logger, stop.signal);
    logger.info('stopped');
  } catch (err) {
    logger.fatal(errorFields(err), `${name} failed`);
    process.exitCode = 1;
  } finally {
    stop.dispose();
  }
}
