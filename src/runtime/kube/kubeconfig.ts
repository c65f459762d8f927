// Where credentials come from: an explicit kubeconfig file, or client-node's
// default search (in-cluster service account, $KUBECONFIG, ~/.kube/config).
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file !== undefined && file !== '') kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (kc.getCurrentCluster() === null) {
    throw new Error(file !== undefined && file !== '' ? `${file}: no current cluster` : 'no kubeconfig found (not in a cluster, no $KUBECONFIG, no ~/.kube/config)');
  }
  return kc;
}
