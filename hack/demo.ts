// `make demo`: brings up the local environment (control plane and node),
// installs the CRDs, runs a demo workload container under containerd, and
// walks through a checkpoint of it. Cleans up on exit, Ctrl-C included.
import { TestCluster } from '../test/support/cluster.ts';
import { TestNode } from '../test/support/node.ts';

const step = (msg: string): void => { process.stdout.write(`\n==> ${msg}\n`); };

let cluster: TestCluster | undefined;
let node: TestNode | undefined;
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    step('cleaning up');
    await Promise.allSettled([cluster?.stop(), node?.stop()]);
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

try {
  step('starting the control plane (etcd, kube-apiserver, kube-controller-manager) and installing crds/');
  cluster = await TestCluster.start();
  process.stdout.write(`    kubeconfig: ${cluster.info.kubeconfig}\n`);
  step('starting the node (containerd, runc, CRIU in the Debian root filesystem)');
  node = await TestNode.start();
  step('running a 64 MiB demo workload under containerd');
  const pid = await node.runContainer({ id: 'demo-app', args: ['/bin/workload', 'mem', '64'] });
  process.stdout.write(`    container demo-app runs as PID ${pid}\n`);
  process.stdout.write(await node.execOk(['ctr', '-n', 'k8s.io', 'task', 'ls']));
  process.stdout.write(await cluster.kubectlOk(['get', 'crd']));
  await shutdown(0);
} catch (err) {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  await shutdown(1);
}
