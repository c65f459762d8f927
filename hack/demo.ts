// `make demo`: the operator's main job on a local cluster, end to end, from
// the images and manifests that ship.
//
//   node hack/demo.ts [--non-interactive] [--verbose]
//
// It builds the controller and agent images (hack/build-images.sh), starts a
// control plane and a containerd node (test/env), applies
// deploy/overlays/containerd, runs the Deployment's and DaemonSet's pods
// from the images' file systems (there is no kubelet: hack/demo/ does its
// part), starts a workload pod, applies examples/checkpoint.yaml and shows
// what came of it. Interactive runs keep everything up until Enter; every
// run cleans up on exit, Ctrl-C included.
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { outcomeOf } from '../src/api/checkpoint-state.ts';
import type { ContainerCheckpoint } from '../src/api/container-checkpoint.ts';
import { humanBytes } from '../src/cli/plugin/format.ts';
import { agentOptions } from '../src/agent/options.ts';
import { repoDir } from '../test/env/paths.ts';
import { run, waitFor } from '../test/env/run.ts';
import { TestCluster } from '../test/support/cluster.ts';
import { getCheckpoint } from '../test/support/checkpoints.ts';
import { TestNode } from '../test/support/node.ts';
import { startPod } from '../test/support/pods.ts';
import { loadImages } from './demo/images.ts';
import { parseManifests } from './demo/manifests.ts';
import { startOperator } from './demo/operator.ts';
import { provision } from './demo/provision.ts';
import type { PodProcess } from './demo/pod-process.ts';
import { conditionsTable, containerLines, metricLines } from './demo/report.ts';
import { Ui } from './demo/ui.ts';

const { values: flags } = parseArgs({
  options: { 'non-interactive': { type: 'boolean' }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});
if (flags.help === true) {
  process.stdout.write('Usage: node hack/demo.ts [--non-interactive] [--verbose]\n\n'
    + '  --non-interactive  exit after the result instead of waiting for Enter (implied without a terminal)\n'
    + '  --verbose          show the controller\'s and agent\'s logs as they run\n');
  process.exit(0);
}
const interactive = flags['non-interactive'] !== true && process.stdin.isTTY && process.stdout.isTTY;
const ui = new Ui({ interactive });

const overlay = 'deploy/overlays/containerd';
const nodeName = 'demo-node';
const ns = 'demo';
const archiveRoot = agentOptions.archiveRoot.default;

// Everything started so far, so that any exit stops it.
const pods: PodProcess[] = [];
let clusterStart: Promise<TestCluster> | undefined;
let nodeStart: Promise<TestNode> | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    ui.step('Cleaning up: the operator\'s pods, the node and the control plane');
    // Pods first: the agent holds mounts of the node, the controllers talk to the API server.
    await Promise.allSettled(pods.map((p) => p.stop(30_000)));
    await Promise.allSettled([
      nodeStart?.then((n) => n.stop()),
      clusterStart?.then((c) => c.stop()),
    ]);
    ui.line('nothing is left running');
  })();
  return cleaning;
}

const stopping = { signalled: false };
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.on(sig, () => {
    if (stopping.signalled) return;
    stopping.signalled = true;
    process.stdout.write(`\n   ${ui.red(`${sig}: stopping`)}\n`);
    void cleanup().finally(() => process.exit(code));
  });
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the demo needs root: it mounts a node root file system, runs containerd and CRIU (run: sudo make demo)');
  }
}

async function waitForCheckpoint(cluster: TestCluster, name: string): Promise<ContainerCheckpoint> {
  const progress = ui.progress();
  const started = Date.now();
  const seen: string[] = [];
  try {
    const done = await waitFor(`ContainerCheckpoint ${ns}/${name} to finish`, async () => {
      const c = await getCheckpoint(cluster, ns, name);
      const state = c?.status?.conditions?.find((x) => x.type === 'Ready')?.reason ?? 'Created';
      if (seen.at(-1) !== state) seen.push(state);
      const where = c?.status?.nodeName !== undefined ? ` on ${c.status.nodeName}` : '';
      progress.update(`${seen.join(' → ')}${where}`);
      return c !== undefined && outcomeOf(c) !== undefined ? c : undefined;
    }, 180_000, 200);
    progress.done(`${seen.join(' → ')} (${((Date.now() - started) / 1000).toFixed(1)}s after kubectl apply)`);
    return done;
  } catch (err) {
    progress.done(ui.red(`still ${seen.at(-1) ?? 'not created'}`));
    throw err;
  }
}

async function main(): Promise<number> {
  requireRoot();
  ui.line(ui.bold('ckpt-operator demo: checkpoint a running pod container with CRIU, on a local cluster'));

  ui.step(`Building what the demo runs (cached in ${process.env.CKPT_CACHE_DIR ?? '~/.cache/ckpt-operator'}; a cold cache takes minutes)`);
  ui.line(ui.dim('kube-apiserver, kubectl and etcd from their Go modules; a Debian trixie node with containerd and CRIU; the operator\'s images'));
  const built = ui.progress();
  built.update('hack/build-kube.sh, hack/build-rootfs.sh, hack/build-image.sh, hack/build-images.sh');
  const images = await loadImages(await provision((l) => { built.update(l.replace(/^\[[\d:]+\] /, '')); }));
  built.done('built (or found in the cache)');
  for (const [what, img, file] of [['controller', images.controller, 'images/controller/Dockerfile'], ['agent', images.agent, 'images/agent/Dockerfile']] as const) {
    ui.detail(what, `${img.ref}, ${img.layers} layers, ${humanBytes(img.layerBytes)} (same contents as ${file})`);
  }
  ui.detail('OCI layouts', join(images.controller.layout, '..'));

  ui.step('Starting a local cluster: control plane and one node');
  const progress = ui.progress();
  progress.update('etcd, kube-apiserver, kube-controller-manager; containerd, runc, CRIU 4.1 in a Debian trixie root');
  clusterStart = TestCluster.start({ installCrds: false });
  nodeStart = TestNode.start();
  const [cluster, node] = await Promise.all([clusterStart, nodeStart]);
  progress.done(`API server ${cluster.info.server}, node ${nodeName} (containerd PID ${node.info.pid})`);
  const kubectl = `kubectl --kubeconfig=${cluster.info.kubeconfig}`;
  ui.detail('kubeconfig', cluster.info.kubeconfig);

  ui.step(`Installing the operator: kubectl apply --server-side -k ${overlay}`);
  const rendered = await cluster.kubectlOk(['kustomize', join(repoDir, overlay)]);
  const manifests = parseManifests(rendered);
  ui.block(await cluster.kubectlOk(['apply', '--server-side', '-f', '-'], { input: rendered }));
  await cluster.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=ckpt-operator']);
  await waitFor('discovery to serve ckpt.dev', async () => ((await cluster.kubectlOk(['api-resources', '--api-group=ckpt.dev', '-o', 'name'])).trim() !== '' ? true : undefined), 30_000, 250);
  ui.line(ui.dim('No kubelet runs here: the demo starts the pods of that Deployment and DaemonSet itself, from the images above,'));
  ui.line(ui.dim('with the command, environment, user, security context and volumes the manifests give them.'));

  ui.step('Starting the operator\'s pods');
  const op = await startOperator({
    cluster, node, nodeName, images, manifests,
    track: (p) => { pods.push(p); },
    ...(flags.verbose === true ? { echo: (l: string) => { ui.line(ui.dim(l)); } } : {}),
  });
  for (const [pod, lines] of op.summaries) {
    const p = [...op.controllers, op.agent].find((x) => x.name === pod);
    ui.line(`${ui.bold(pod)} ${ui.dim(`(PID ${String(p?.pid ?? '?')})`)}`);
    for (const l of lines) ui.line(`  ${l}`);
  }
  const ready = ui.progress();
  ready.update('waiting for /readyz of every pod');
  await Promise.all([...op.controllers, op.agent].map((p) => p.waitReady(120_000)));
  const leading = await Promise.all(op.controllers.map(async (p) => /leader_election_master_status\{name="ckpt-controller"\} 1/.test((await p.get('/metrics')).body)));
  ready.done(`ready; leader: ${op.controllers.filter((_, i) => leading[i] === true).map((p) => p.name).join(', ') || '(electing)'}`);

  ui.step(`Running a workload pod: ${ns}/demo on ${nodeName}, container app (a 64 MiB process that counts)`);
  await cluster.kubectlOk(['create', 'namespace', ns]);
  // The operator checkpoints only opted-in namespaces or pods (docs/security.md).
  await cluster.kubectlOk(['label', 'namespace', ns, 'ckpt.dev/checkpoints=enabled']);
  ui.command(`kubectl label namespace ${ns} ckpt.dev/checkpoints=enabled`);
  const pod = await startPod(cluster, node, { namespace: ns, name: 'demo', nodeName, labels: { app: 'demo' }, containers: [{ name: 'app', args: ['/bin/workload', 'mem', '64'] }] });
  ui.line(`container app: ${pod.containers.app?.id.slice(0, 12) ?? ''}… under containerd, PID ${pod.containers.app?.pid ?? '?'} (started after the agent: its root file system reached the agent by mount propagation)`);

  ui.step('Checkpointing it: kubectl apply -f examples/checkpoint.yaml');
  ui.block((await cluster.kubectlOk(['apply', '-n', ns, '-f', join(repoDir, 'examples', 'checkpoint.yaml')])));
  const done = await waitForCheckpoint(cluster, 'demo-checkpoint');
  const ok = outcomeOf(done) === 'succeeded';

  ui.step(`The result: ${ok ? ui.green('Succeeded') : ui.red('Failed')}`);
  ui.command(`kubectl get ckpt -n ${ns} -o wide`);
  ui.block(await cluster.kubectlOk(['get', 'ckpt', '-n', ns, '-o', 'wide']));
  ui.line(ui.bold('conditions'));
  ui.block(conditionsTable(done));
  for (const l of containerLines(done, archiveRoot)) ui.line(l);
  if (done.status?.frozenTimeMicros !== undefined) ui.line(`the container was frozen for ${(done.status.frozenTimeMicros / 1000).toFixed(1)} ms and kept running (leaveRunning: true)`);
  if (!ok) {
    ui.line(ui.red('the agent\'s last log lines:'));
    ui.block(op.agent.logTail(30));
    return 1;
  }

  const archive = done.status?.containers?.[0]?.archive;
  if (archive !== undefined) {
    const inNode = `${archiveRoot}/${archive.path}`;
    ui.step('checkpointctl reads the archive (on the node)');
    const tar = '/ckpt/demo-checkpoint.tar';
    const unpack = archive.compression === 'Zstd' ? `zstd -q -d -f ${inNode} -o ${tar}` : archive.compression === 'Gzip' ? `gzip -dc ${inNode} > ${tar}` : `cp ${inNode} ${tar}`;
    await node.execOk(['sh', '-c', unpack]);
    ui.command(`checkpointctl show ${tar}`);
    ui.block(await node.execOk(['checkpointctl', 'show', tar]));

    ui.step('The kubectl plugin (bin/kubectl-ckpt on PATH)');
    // kubectl finds plugins on PATH and takes no flags before their name.
    const pluginEnv = { ...process.env, PATH: `${join(repoDir, 'bin')}:${process.env.PATH ?? ''}`, KUBECONFIG: cluster.info.kubeconfig };
    const plugin = async (args: string[]): Promise<string> => {
      const r = await run([cluster.info.kubectl, 'ckpt', ...args], { env: pluginEnv, timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(`kubectl ckpt ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    ui.command(`kubectl ckpt list -n ${ns}`);
    ui.block(await plugin(['list', '-n', ns]));
    // The host reads the node's files through containerd's root.
    const onHost = `/proc/${node.info.pid}/root${inNode}`;
    ui.command(`kubectl ckpt inspect ${inNode}`);
    ui.block((await plugin(['inspect', onHost])).replaceAll(onHost, inNode));
  }

  ui.step('Schedules: kubectl apply -f examples/schedule.yaml');
  ui.block(await cluster.kubectlOk(['apply', '-n', ns, '-f', join(repoDir, 'examples', 'schedule.yaml')]));
  await new Promise((r) => setTimeout(r, 1500));
  ui.command(`kubectl get ckptsched -n ${ns}`);
  ui.block(await cluster.kubectlOk(['get', 'ckptsched', '-n', ns]));

  ui.step('Metrics (Prometheus text on each pod\'s health port)');
  const shown = new Map<PodProcess, string[]>([
    [op.agent, ['ckpt_agent_container_dumps_total', 'ckpt_agent_checkpoints_in_flight', 'ckpt_agent_criu_frozen_seconds', 'ckpt_agent_archive_bytes_total', 'leader_election_master_status']],
    ...op.controllers.map((p): [PodProcess, string[]] => [p, ['ckpt_checkpoints_total', 'ckpt_checkpoint_duration_seconds', 'ckpt_criu_frozen_seconds', 'ckpt_archive_size_bytes', 'workqueue_depth', 'leader_election_master_status']]),
  ]);
  for (const [p, names] of shown) {
    ui.command(`curl -s http://127.0.0.1:${p.healthPort}/metrics | grep ...   ${ui.dim(`# ${p.name}`)}`);
    ui.block(metricLines((await p.get('/metrics')).body, names).join('\n'));
  }
  ui.line(ui.dim('In a cluster: deploy/components/monitoring adds a ServiceMonitor, a PodMonitor and a Grafana dashboard.'));

  ui.step('On a real cluster');
  ui.command('kubectl apply -k deploy/overlays/containerd        # or deploy/overlays/cri-o');
  ui.command('kubectl label namespace NS ckpt.dev/checkpoints=enabled');
  ui.command('kubectl ckpt create POD -n NS --wait                 # or kubectl apply -f examples/checkpoint.yaml');
  ui.line('Images, registries and monitoring: docs/install.md');

  if (interactive) {
    ui.line('');
    ui.line(ui.bold('Everything is still running. Try:'));
    ui.command(`${kubectl} get ckpt,ckptsched -A`);
    ui.command(`export KUBECONFIG=${cluster.info.kubeconfig} PATH=$PWD/bin:$PATH`);
    ui.command(`kubectl ckpt create demo -n ${ns} --wait`);
    ui.line('Press Enter (or Ctrl-C) to clean up.');
    const rl = createInterface({ input: process.stdin });
    await once(rl, 'line');
    rl.close();
  }
  return 0;
}

let code: number;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`\n${ui.red('demo failed:')} ${err instanceof Error ? err.message : String(err)}\n`);
  code = 1;
}
if (!stopping.signalled) {
  await cleanup();
  ui.line(`${code === 0 ? ui.green('demo done') : ui.red('demo failed')} in ${ui.elapsed()}`);
  process.exit(code);
}
