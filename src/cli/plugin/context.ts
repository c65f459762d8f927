// The plugin's connection to the cluster: the user's kubeconfig (KUBECONFIG or
// ~/.kube/config, or --kubeconfig) and namespace, as kubectl would use them.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../runtime/kube/kube-client.ts';

export interface PluginContext {
  client: KubeClient;
  namespace: string;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  now: () => Date;
}

export function connect(opts: { kubeconfig?: string | undefined; namespace?: string | undefined }, out: NodeJS.WritableStream, err: NodeJS.WritableStream): PluginContext {
  const kc = new KubeConfig();
  if (opts.kubeconfig !== undefined) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  const current = kc.getContextObject(kc.getCurrentContext());
  return {
    client: new KubeClient(kc, { userAgent: 'kubectl-ckpt' }),
    namespace: opts.namespace ?? current?.namespace ?? 'default',
    out, err, now: () => new Date(),
  };
}
