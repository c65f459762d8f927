// ckpt-agent: the privileged DaemonSet, one per node.
import { agentOptions } from '../agent/options.ts';
import { buildAgent } from '../agent/process.ts';
import { KubeClient } from '../runtime/kube/kube-client.ts';
import { loadKubeConfig } from '../runtime/kube/kubeconfig.ts';
import { defaultIdentity } from '../runtime/leader/identity.ts';
import { runMain } from './main.ts';

await runMain('ckpt-agent', agentOptions, async (cfg, logger, signal) => {
  const client = new KubeClient(await loadKubeConfig(cfg.kubeconfig), { userAgent: 'ckpt-agent' });
  const identity = defaultIdentity();
  const { manager, root } = await buildAgent(client, cfg, logger, identity);
  logger.info({ identity, node: cfg.nodeName, archiveRoot: root.path }, 'starting');
  await manager.start(signal);
});
