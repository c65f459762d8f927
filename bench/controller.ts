// Controller benchmark on a real control plane (etcd, kube-apiserver,
// kube-controller-manager from test/env), with the controller as a process
// under its own ServiceAccount, exactly as the integration tests run it:
//
//  1. throughput from created to handed off (status.nodeName set,
//     Ready=False/Pending) for 1,000 and 5,000 checkpoints: created by a
//     client as fast as the API server takes them while the controller runs
//     ("live"), and queued up while it is stopped and then drained
//     ("backlog", the controller's own rate without the creation client);
//     every node has a live agent Lease, nothing claims;
//  2. reconcile latency p50/p99 from controller_runtime_reconcile_time_seconds
//     (over each run) and created-to-handed-off latency from timestamps;
//  3. the controller's RSS with 10,000 ContainerCheckpoints and 10,000 pods
//     in its caches (a fresh control plane).
//
//   node bench/controller.ts [--sizes=1000,5000] [--rss=10000] [--workers=N] [--deployment | --compiled] [--node-options=...] [--json=FILE]
//
// Prints a Markdown table per part and, with --json, the raw numbers.
import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { V1Deployment } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { ContainerCheckpoint } from '../src/api/container-checkpoint.ts';
import { resources } from '../src/api/names.ts';
import { Informer } from '../src/runtime/informer/informer.ts';
import { KubeClient } from '../src/runtime/kube/kube-client.ts';
import { formatMicroTime } from '../src/runtime/kube/micro-time.ts';
import type { KubeObject } from '../src/runtime/kube/object.ts';
import { coreResources } from '../src/runtime/kube/resource.ts';
import { repoDir } from '../test/env/paths.ts';
import { waitFor } from '../test/env/run.ts';
import { createApiPods, createNamespace, ensureNode } from '../test/support/api-pods.ts';
import { TestCluster } from '../test/support/cluster.ts';
import { histogramQuantile, metricsPort, scrape, type Sample } from '../test/support/metrics.ts';
import { startController, type OperatorProcess } from '../test/support/operator.ts';

type Ckpt = ContainerCheckpoint & KubeObject;

const { values: flags } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,5000' },
    rss: { type: 'string', default: '10000' },
    workers: { type: 'string' },
    json: { type: 'string' },
    // V8 options for the controller process, as a Deployment would set them in NODE_OPTIONS.
    'node-options': { type: 'string' },
    // Run the JavaScript that the images run (tsc -p tsconfig.build.json) instead of the TypeScript sources.
    compiled: { type: 'boolean', default: false },
    // As deploy/base runs it: compiled, with the Deployment's NODE_OPTIONS and MALLOC_ARENA_MAX.
    deployment: { type: 'boolean', default: false },
  },
});
const sizes = flags.sizes.split(',').filter((x) => x !== '').map(Number);
const rssSize = Number(flags.rss);
const nodeCount = 10;
const nodes = Array.from({ length: nodeCount }, (_, i) => `node-${i + 1}`);
const controllerArgs = ['--log-level=info', ...(flags.workers !== undefined ? [`--workers=${flags.workers}`] : [])];

const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };

/** Compiles src/ as the image build does (into dist/src, beside node_modules so imports resolve). */
function compile(): string {
  execFileSync(join(repoDir, 'node_modules', '.bin', 'tsc'), ['-p', join(repoDir, 'tsconfig.build.json')], { stdio: 'inherit' });
  return join(repoDir, 'dist', 'src', 'cli', 'controller.js');
}
const compiled = flags.compiled || flags.deployment;
const compiledEntrypoint = compiled ? compile() : undefined;

/** The controller container's literal env values from deploy/base, for the names the process reads at start. */
async function deploymentEnv(): Promise<Record<string, string>> {
  const doc = parse(await readFile(join(repoDir, 'deploy', 'base', 'controller', 'deployment.yaml'), 'utf8')) as V1Deployment;
  const env = doc.spec?.template.spec?.containers[0]?.env ?? [];
  return Object.fromEntries(env.filter((e) => ['NODE_OPTIONS', 'MALLOC_ARENA_MAX'].includes(e.name) && e.value !== undefined).map((e) => [e.name, e.value ?? '']));
}
const controllerEnv: Record<string, string> = {
  ...(flags.deployment ? await deploymentEnv() : {}),
  ...(flags['node-options'] !== undefined ? { NODE_OPTIONS: flags['node-options'] } : {}),
};

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Bucket counts of run minus those before it, so quantiles cover one run. */
function histogramDelta(after: Sample[], before: Sample[], name: string): Sample[] {
  const key = (s: Sample): string => JSON.stringify(s.labels);
  const prior = new Map(before.filter((s) => s.name === `${name}_bucket`).map((s) => [key(s), s.value]));
  return after.filter((s) => s.name === `${name}_bucket`).map((s) => ({ ...s, value: s.value - (prior.get(key(s)) ?? 0) }));
}

async function rssOf(pid: number): Promise<{ rssMiB: number; hwmMiB: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The control plane's kube-apiserver and etcd, found by the etcd URL on their command lines. */
async function controlPlanePids(etcdUrl: string): Promise<{ apiserver: number; etcd: number }> {
  const out = { apiserver: 0, etcd: 0 };
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
    if (!cmd.includes(etcdUrl)) continue;
    if (cmd.includes('kube-apiserver')) out.apiserver = Number(d);
    else if (/(^|\/)etcd\0/.test(cmd)) out.etcd = Number(d);
  }
  return out;
}

interface CpuUse { controller: number; apiserver: number; etcd: number }

class Bench {
  readonly cluster: TestCluster;
  readonly admin: KubeClient;
  private readonly informer: Informer<Ckpt>;
  /** Local time each checkpoint was first seen handed off, by namespace/name. */
  readonly handedAt = new Map<string, number>();
  controller: OperatorProcess | undefined;

  private constructor(cluster: TestCluster) {
    this.cluster = cluster;
    this.admin = new KubeClient(cluster.adminConfig(), { userAgent: 'ckpt-bench', maxSockets: 128 });
    this.informer = new Informer<Ckpt>({ client: new KubeClient(cluster.adminConfig(), { userAgent: 'ckpt-bench-watch' }), resource: resources.containerCheckpoints });
    const seen = (c: Ckpt): void => {
      const k = `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`;
      if ((c.status?.nodeName ?? '') !== '' && !this.handedAt.has(k)) this.handedAt.set(k, performance.timeOrigin + performance.now());
    };
    this.informer.addHandlers({ onAdd: seen, onUpdate: (_, c) => { seen(c); } });
  }

  static async start(): Promise<Bench> {
    log('starting a control plane');
    const cluster = await TestCluster.start();
    await cluster.installRbac();
    await waitFor('RBAC for the controller', async () => {
      const r = await cluster.kubectl(['auth', 'can-i', 'update', 'containercheckpoints.ckpt.dev', '--subresource=status', '-n', 'default', '--as=system:serviceaccount:ckpt-system:ckpt-controller']);
      return r.stdout.trim() === 'yes' ? true : undefined;
    }, 60_000, 250);
    const b = new Bench(cluster);
    b.informer.start();
    await b.informer.waitForSync(AbortSignal.timeout(60_000));
    for (const n of nodes) {
      await ensureNode(b.admin, n);
      // A live agent Lease for every node, so that hand-off happens; nothing claims.
      const now = formatMicroTime(Date.now());
      await b.admin.create(coreResources.leases, {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: `ckpt-agent-${n}`, namespace: 'ckpt-system' },
        spec: { holderIdentity: `bench-agent-${n}`, leaseDurationSeconds: 86_400, acquireTime: now, renewTime: now, leaseTransitions: 0 },
      });
    }
    return b;
  }

  async startController(): Promise<OperatorProcess> {
    this.controller = await startController(this.cluster, {
      args: controllerArgs, env: controllerEnv,
      ...(compiledEntrypoint !== undefined ? { entrypoint: compiledEntrypoint } : {}),
    });
    return this.controller;
  }

  /** CPU seconds used so far by the controller, kube-apiserver and etcd. */
  async cpu(): Promise<CpuUse> {
    const pids = await controlPlanePids(this.cluster.info.etcdUrl);
    const pid = this.controller?.child.pid;
    return {
      controller: pid === undefined ? 0 : await cpuSeconds(pid),
      apiserver: await cpuSeconds(pids.apiserver), etcd: await cpuSeconds(pids.etcd),
    };
  }

  async stopController(): Promise<void> {
    await this.controller?.stop();
    this.controller = undefined;
  }

  async createCheckpoints(namespace: string, names: string[], podOf: (i: number) => string, concurrency = 64): Promise<Map<string, number>> {
    const created = new Map<string, number>();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < names.length; i = next++) {
        const name = names[i] ?? '';
        const sent = performance.timeOrigin + performance.now();
        await this.admin.create<Ckpt>(resources.containerCheckpoints, {
          apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint', metadata: { name, namespace }, spec: { podName: podOf(i) },
        });
        created.set(`${namespace}/${name}`, sent);
      }
    }));
    return created;
  }

  async waitHandedOff(keys: string[], timeoutMs: number): Promise<void> {
    await waitFor(`${keys.length} hand-offs`, () => Promise.resolve(keys.every((k) => this.handedAt.has(k)) ? true : undefined), timeoutMs, 100);
  }

  async stop(): Promise<void> {
    await this.stopController();
    await this.informer.stop();
    this.admin.close();
    await this.cluster.stop();
  }
}

interface ThroughputResult {
  mode: 'live' | 'backlog';
  n: number;
  seconds: number;
  perSecond: number;
  createdPerSecond?: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  reconcileP50Ms: number;
  reconcileP99Ms: number;
  reconciles: number;
  /** CPU milliseconds per checkpoint over the run (live: creation by the client included). */
  cpuMs: CpuUse;
  /** The controller's API requests per checkpoint, by method (watches included in GET). */
  requests: Record<string, number>;
}

function requestsPer(after: Sample[], before: Sample[], n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of after.filter((x) => x.name === 'rest_client_requests_total')) {
    const prior = before.find((x) => x.name === s.name && JSON.stringify(x.labels) === JSON.stringify(s.labels))?.value ?? 0;
    const m = s.labels.method ?? '?';
    out[m] = (out[m] ?? 0) + (s.value - prior) / n;
  }
  return out;
}

function cpuPer(a: CpuUse, b: CpuUse, n: number): CpuUse {
  return { controller: (b.controller - a.controller) * 1000 / n, apiserver: (b.apiserver - a.apiserver) * 1000 / n, etcd: (b.etcd - a.etcd) * 1000 / n };
}

async function throughput(b: Bench, n: number): Promise<ThroughputResult[]> {
  const out: ThroughputResult[] = [];
  const podsPerNode = 10;
  for (const mode of ['live', 'backlog'] as const) {
    const ns = `bench-${mode}-${n}`;
    await createNamespace(b.admin, ns);
    await createApiPods(b.admin, nodes.flatMap((nodeName) => Array.from({ length: podsPerNode }, (_, i) => ({ namespace: ns, name: `web-${nodeName}-${i}`, nodeName, containers: [{ name: 'app' }] }))));
    const names = Array.from({ length: n }, (_, i) => `ck-${i}`);
    const podOf = (i: number): string => `web-${nodes[i % nodeCount] ?? ''}-${Math.floor(i / nodeCount) % podsPerNode}`;
    const keys = names.map((x) => `${ns}/${x}`);
    if (mode === 'live') {
      const c = b.controller ?? await b.startController();
      const port = await metricsPort(c);
      const before = await scrape(port);
      const cpu0 = await b.cpu();
      log(`live ${n}: creating`);
      const t0 = performance.timeOrigin + performance.now();
      const created = await b.createCheckpoints(ns, names, podOf);
      const tCreated = performance.timeOrigin + performance.now();
      await b.waitHandedOff(keys, 600_000);
      const cpu1 = await b.cpu();
      const tLast = Math.max(...keys.map((k) => b.handedAt.get(k) ?? 0));
      const after = await scrape(port);
      const lat = keys.map((k) => (b.handedAt.get(k) ?? 0) - (created.get(k) ?? 0)).sort((x, y) => x - y);
      const delta = histogramDelta(after, before, 'controller_runtime_reconcile_time_seconds').filter((s) => s.labels.controller === 'containercheckpoint');
      const reconciles = Math.max(...delta.map((s) => s.value));
      const seconds = (tLast - t0) / 1000;
      out.push({
        mode, n, seconds, perSecond: n / seconds, createdPerSecond: n / ((tCreated - t0) / 1000),
        latencyP50Ms: quantile(lat, 0.5), latencyP99Ms: quantile(lat, 0.99),
        reconcileP50Ms: histogramQuantile(delta, 'controller_runtime_reconcile_time_seconds', 0.5) * 1000,
        reconcileP99Ms: histogramQuantile(delta, 'controller_runtime_reconcile_time_seconds', 0.99) * 1000,
        reconciles, cpuMs: cpuPer(cpu0, cpu1, n), requests: requestsPer(after, before, n),
      });
    } else {
      await b.stopController();
      log(`backlog ${n}: creating while the controller is stopped`);
      await b.createCheckpoints(ns, names, podOf);
      const c = await b.startController();
      const t0 = performance.timeOrigin + performance.now();
      const port = await metricsPort(c);
      const cpu0 = await b.cpu();
      await b.waitHandedOff(keys, 600_000);
      const cpu1 = await b.cpu();
      const tLast = Math.max(...keys.map((k) => b.handedAt.get(k) ?? 0));
      const tFirst = Math.min(...keys.map((k) => b.handedAt.get(k) ?? Infinity));
      const after = await scrape(port);
      const h = after.filter((s) => s.name === 'controller_runtime_reconcile_time_seconds_bucket' && s.labels.controller === 'containercheckpoint');
      // From the first hand-off: the process start and cache sync are not the controller's rate.
      const seconds = (tLast - tFirst) / 1000;
      log(`backlog ${n}: first hand-off ${((tFirst - t0) / 1000).toFixed(1)} s after the process started`);
      out.push({
        mode, n, seconds, perSecond: n / seconds,
        reconcileP50Ms: histogramQuantile(h, 'controller_runtime_reconcile_time_seconds', 0.5) * 1000,
        reconcileP99Ms: histogramQuantile(h, 'controller_runtime_reconcile_time_seconds', 0.99) * 1000,
        reconciles: Math.max(...h.map((s) => s.value)), cpuMs: cpuPer(cpu0, cpu1, n), requests: requestsPer(after, [], n),
      });
    }
    log(JSON.stringify(out.at(-1)));
  }
  return out;
}

interface RssResult {
  checkpoints: number;
  pods: number;
  rssMiB: number;
  hwmMiB: number;
  heapUsedMiB: number | undefined;
  heapTotalMiB: number | undefined;
  externalMiB: number | undefined;
  /** RSS of the same process with empty caches, before any pod or checkpoint existed. */
  baselineRssMiB: number;
  env: Record<string, string>;
  compiled: boolean;
}

async function memory(n: number): Promise<RssResult> {
  const b = await Bench.start();
  try {
    const ns = 'bench-rss';
    await createNamespace(b.admin, ns);
    // Started on an empty cluster first: what the process costs before its caches hold anything.
    const c = await b.startController();
    await metricsPort(c);
    await new Promise((r) => setTimeout(r, 10_000));
    const baseline = await rssOf(c.child.pid ?? 0);
    log(`rss: ${baseline.rssMiB.toFixed(1)} MiB with empty caches; creating ${n} pods`);
    await createApiPods(b.admin, Array.from({ length: n }, (_, i) => ({
      namespace: ns, name: `web-${i}`, nodeName: nodes[i % nodeCount] ?? '', labels: { app: 'web', shard: String(i % 16) }, containers: [{ name: 'app' }, { name: 'sidecar' }],
    })), 64);
    log(`rss: creating ${n} checkpoints`);
    const names = Array.from({ length: n }, (_, i) => `ck-${i}`);
    await b.createCheckpoints(ns, names, (i) => `web-${i}`);
    await b.waitHandedOff(names.map((x) => `${ns}/${x}`), 900_000);
    log('rss: all handed off; letting the controller settle');
    await new Promise((r) => setTimeout(r, 30_000));
    const pid = c.child.pid ?? 0;
    let best = { rssMiB: 0, hwmMiB: 0 };
    for (let i = 0; i < 10; i++) {
      const r = await rssOf(pid);
      if (r.rssMiB > best.rssMiB) best = r;
      await new Promise((res) => setTimeout(res, 1000));
    }
    const m = await scrape(await metricsPort(c));
    const mib = (name: string): number | undefined => {
      const v = m.find((s) => s.name === name)?.value;
      return v === undefined ? undefined : v / 2 ** 20;
    };
    return {
      checkpoints: n, pods: n, rssMiB: best.rssMiB, hwmMiB: best.hwmMiB, baselineRssMiB: baseline.rssMiB, env: controllerEnv, compiled,
      heapUsedMiB: mib('nodejs_heap_size_used_bytes'), heapTotalMiB: mib('nodejs_heap_size_total_bytes'), externalMiB: mib('nodejs_external_memory_bytes'),
    };
  } finally {
    await b.stop();
  }
}

const f1 = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1));

async function main(): Promise<void> {
  const machine = `${String(cpus().length)} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const results: { machine: string; throughput: ThroughputResult[]; rss?: RssResult } = { machine, throughput: [] };
  if (sizes.length > 0) {
    const b = await Bench.start();
    try {
      for (const n of sizes) results.throughput.push(...await throughput(b, n));
    } finally {
      await b.stop();
    }
  }
  if (rssSize > 0) results.rss = await memory(rssSize);
  const lines = [`machine: ${machine}`, ''];
  if (results.throughput.length > 0) {
    lines.push('| checkpoints | mode | handed off / s | seconds | created / s | created→handed off p50 / p99 (ms) | reconcile p50 / p99 (ms) | reconciles | CPU ms / checkpoint: controller, apiserver, etcd | controller requests / checkpoint |',
      '|---|---|---|---|---|---|---|---|---|---|');
    for (const r of results.throughput) {
      lines.push(`| ${String(r.n)} | ${r.mode} | ${f1(r.perSecond)} | ${f1(r.seconds)} | ${f1(r.createdPerSecond)} | ${r.latencyP50Ms === undefined ? '-' : `${f1(r.latencyP50Ms)} / ${f1(r.latencyP99Ms)}`} | ${f1(r.reconcileP50Ms)} / ${f1(r.reconcileP99Ms)} | ${String(r.reconciles)} | ${f1(r.cpuMs.controller)}, ${f1(r.cpuMs.apiserver)}, ${f1(r.cpuMs.etcd)} | ${Object.entries(r.requests).map(([m, v]) => `${m} ${v.toFixed(2)}`).join(', ')} |`);
    }
    lines.push('');
  }
  if (results.rss !== undefined) {
    const r = results.rss;
    const env = Object.entries(r.env).map(([k, v]) => `${k}=${v}`).join(' ');
    lines.push('| checkpoints | pods | code | environment | RSS (MiB) | peak RSS (MiB) | RSS with empty caches (MiB) | V8 heap used / total (MiB) | external (MiB) |', '|---|---|---|---|---|---|---|---|---|',
      `| ${String(r.checkpoints)} | ${String(r.pods)} | ${r.compiled ? 'compiled JS' : 'TypeScript'} | ${env === '' ? '-' : `\`${env}\``} | ${f1(r.rssMiB)} | ${f1(r.hwmMiB)} | ${f1(r.baselineRssMiB)} | ${f1(r.heapUsedMiB)} / ${f1(r.heapTotalMiB)} | ${f1(r.externalMiB)} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (flags.json !== undefined) await writeFile(flags.json, `${JSON.stringify(results, null, 2)}\n`);
}

await main();
