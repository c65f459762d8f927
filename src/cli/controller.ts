// ckpt-controller: the leader-elected controller Deployment.
import { buildController } from '../controller/manager.ts';
import { controllerOptions } from '../controller/options.ts';
import { KubeClient } from '../runtime/kube/kube-client.ts';
import { loadKubeConfig } from '../runtime/kube/kubeconfig.ts';
import { defaultIdentity } from '../runtime/leader/identity.ts';
import { runMain } from './main.ts';

await runMain('ckpt-controller', controllerOptions, async (cfg, logger, signal) => {
  const client = new KubeClient(loadKubeConfig(cfg.kubeconfig), { userAgent: 'ckpt-controller' });
  const identity = defaultIdentity();
  const { manager } = buildController(client, cfg, logger, identity);
  logger.info({ identity, namespace: cfg.namespace }, 'starting');
  await manager.start(signal);
});
