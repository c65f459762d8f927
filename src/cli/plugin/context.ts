// The plugin's connection to the cluster: the user's kubeconfig (KUBECONFIG or
// ~/.kube/config, or --kubeconfig), context (--context) and namespace, as
// kubectl would use them.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../runtime/kube/kube-client.ts';
import { FlagError } from './runc-flags.ts';

export interface PluginContext {
  client: KubeClient;
  namespace: string;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  now: () => Date;
}

export interface ConnectOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
}

export function connect(opts: ConnectOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): PluginContext {
  const kc = new KubeConfig();
  if (opts.kubeconfig !== undefined) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context !== undefined) {
    if (kc.getContextObject(opts.context) === null) throw new FlagError(`context "${opts.context}" does not exist`);
    kc.setCurrentContext(opts.context);
  }
  const current = kc.getContextObject(kc.getCurrentContext());
  return {
    client: new KubeClient(kc, { userAgent: 'kubectl-ckpt' }),
    namespace: opts.namespace ?? current?.namespace ?? 'default',
    out, err, now: () => new Date(),
  };
}
