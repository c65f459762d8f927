// A component main as the runtime expects one to be written, run as a child
// process by runtime-shutdown.test.ts so that real signals reach it:
// configuration, logger, kubeconfig, manager with leader election and a
// health server, one controller, and SIGTERM handling.
import { Controller } from '../../src/runtime/controller/controller.ts';
import { loadConfig } from '../../src/runtime/config/load-config.ts';
import { defineOptions } from '../../src/runtime/config/options.ts';
import { commonOptions, leaderElectionOptions } from '../../src/runtime/config/runtime-options.ts';
import { KubeClient } from '../../src/runtime/kube/kube-client.ts';
import { loadKubeConfig } from '../../src/runtime/kube/kubeconfig.ts';
import type { KubeObject } from '../../src/runtime/kube/object.ts';
import { shutdownSignal } from '../../src/runtime/lifecycle/shutdown-signal.ts';
import { createLogger, errorFields } from '../../src/runtime/logging/logger.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import { widgets } from './runtime-support.ts';

const options = defineOptions({
  ...commonOptions,
  ...leaderElectionOptions,
  namespace: { type: 'string', required: true, description: 'namespace to watch' },
  workers: { type: 'integer', default: 2, min: 1, description: 'concurrent reconciles' },
  slowWork: { type: 'duration', default: '2s', description: 'how long reconciling the widget named "slow" takes' },
});

const { config } = loadConfig(options, { argv: process.argv.slice(2), env: process.env, envPrefix: 'RT_' });
const logger = createLogger({ level: config.logLevel, name: 'runtime-shutdown-child' });
const client = new KubeClient(await loadKubeConfig(config.kubeconfig), { userAgent: 'runtime-shutdown-child' });
const mgr = new Manager({
  client,
  logger,
  health: { port: config.healthPort, host: config.healthHost },
  gracefulShutdownMs: config.gracefulShutdownTimeout,
  ...(config.leaderElect ? {
    leaderElection: {
      namespace: config.leaderElectionNamespace ?? config.namespace,
      name: config.leaderElectionId ?? 'runtime-shutdown-child',
      leaseDurationMs: config.leaseDuration,
      renewDeadlineMs: config.renewDeadline,
      retryPeriodMs: config.retryPeriod,
    },
  } : {}),
});

const informer = mgr.informers.informer<KubeObject>(widgets, { namespace: config.namespace });
const controller: Controller = mgr.newController({
  name: 'widget',
  workers: config.workers,
  reconciler: {
    async reconcile(ctx, key) {
      if (ctx.name !== 'slow') return;
      ctx.logger.info({ key }, 'reconcile started');
      const finished = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => { resolve(true); }, config.slowWork);
        ctx.signal.addEventListener('abort', () => { clearTimeout(t); resolve(false); }, { once: true });
      });
      ctx.logger.info({ key }, finished ? 'reconcile finished' : 'reconcile aborted');
    },
  },
});
controller.watch(informer);

const shutdown = shutdownSignal({ logger });
try {
  await mgr.start(shutdown.signal);
  process.exitCode = 0;
} catch (err) {
  logger.error(errorFields(err), 'manager failed');
  process.exitCode = 1;
} finally {
  shutdown.dispose();
}
