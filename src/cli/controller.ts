// ckpt-controller: the leader-elected controller Deployment.
import { collectDefaultMetrics } from 'prom-client';
import { buildController } from '../controller/manager.ts';
import { RestClientMetrics } from '../controller/metrics/rest-client-metrics.ts';
import { controllerOptions } from '../controller/options.ts';
import type { ResponseRecord } from '../runtime/kube/kube-client.ts';
import { KubeClient } from '../runtime/kube/kube-client.ts';
import { loadKubeConfig } from '../runtime/kube/kubeconfig.ts';
import { defaultIdentity } from '../runtime/leader/identity.ts';
import { runMain } from './main.ts';

await runMain('ckpt-controller', controllerOptions, async (cfg, logger, signal) => {
  // The client exists before the registry that counts its requests.
  const counted: { metrics?: RestClientMetrics } = {};
  const client = new KubeClient(await loadKubeConfig(cfg.kubeconfig), {
    userAgent: 'ckpt-controller', onResponse: (r: ResponseRecord) => { counted.metrics?.observe(r); },
  });
  const identity = defaultIdentity();
  const { manager } = buildController(client, cfg, logger, identity);
  counted.metrics = new RestClientMetrics(manager.registry);
  // process_* and nodejs_* (resident memory, heap, event loop lag), as every Prometheus client exports.
  collectDefaultMetrics({ register: manager.registry });
  logger.info({ identity, namespace: cfg.namespace }, 'starting');
  await manager.start(signal);
});
