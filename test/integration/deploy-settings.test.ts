// The manifests' settings mean what they say to the code that reads them:
// every CKPT_* variable of the Deployment and the DaemonSet is an option the
// controller or agent loads (through the same loader, so a typo or a bad
// value fails here, not on a node), the probes and containerPort are the
// health port the process listens on, the agent's runc root and archive root
// are on host mounts in each overlay, its thread pool fits its concurrency,
// and every metric the Grafana dashboard queries is one the code exports.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { agentOptions } from '../../src/agent/options.ts';
import { controllerOptions } from '../../src/controller/options.ts';
import { loadConfig } from '../../src/runtime/config/load-config.ts';
import type { OptionSet } from '../../src/runtime/config/options.ts';
import { repoDir } from '../env/paths.ts';
import { render, type Obj } from './deploy-support.ts';

interface Workload { kind: string; spec: { template: { spec: V1PodSpec } } }

function podSpec(objects: Obj[], kind: string, name: string): V1PodSpec {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name) as (Obj & Workload) | undefined;
  assert.ok(o !== undefined, `${kind} ${name}`);
  return o.spec.template.spec;
}

/** The container's environment as the kubelet would give it (downward API filled in). */
function envOf(c: V1Container): Record<string, string> {
  const downward: Record<string, string> = { 'spec.nodeName': 'node-a', 'metadata.namespace': 'ckpt-system', 'metadata.name': 'pod-a' };
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const v = e.value ?? downward[e.valueFrom?.fieldRef?.fieldPath ?? ''];
    assert.ok(v !== undefined, `env ${e.name} has a value the kubelet can provide`);
    env[e.name] = v;
  }
  return env;
}

function load<D extends OptionSet>(spec: D, c: V1Container): ReturnType<typeof loadConfig<D>> {
  const env = envOf(c);
  const known = new Set(Object.keys(spec).map((k) => `CKPT_${k.replace(/[A-Z]/g, (x) => `_${x}`).toUpperCase()}`));
  for (const name of Object.keys(env).filter((n) => n.startsWith('CKPT_'))) assert.ok(known.has(name), `${name} is an option of ${c.name}`);
  return loadConfig(spec, { argv: [...(c.command ?? []).slice(2), ...(c.args ?? [])], env, envPrefix: 'CKPT_' });
}

/** The hostPath volume mounted at or above path, if any. */
function hostMountCovering(spec: V1PodSpec, c: V1Container, path: string): { hostPath: string; mountPath: string; readOnly: boolean } | undefined {
  const mounts = (c.volumeMounts ?? []).filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length);
  const m = mounts[0];
  const v = spec.volumes?.find((x) => x.name === m?.name);
  return m === undefined || v?.hostPath === undefined ? undefined : { hostPath: v.hostPath.path, mountPath: m.mountPath, readOnly: m.readOnly === true };
}

function portOf(c: V1Container, name: string | number | undefined): number | undefined {
  return typeof name === 'number' ? name : c.ports?.find((p) => p.name === name)?.containerPort;
}

function assertProbes(c: V1Container, port: number): void {
  assert.deepEqual(c.ports?.map((p) => p.containerPort), [port], `${c.name} exposes exactly its health port`);
  for (const [probe, path] of [[c.startupProbe, '/healthz'], [c.livenessProbe, '/healthz'], [c.readinessProbe, '/readyz']] as const) {
    assert.equal(probe?.httpGet?.path, path, `${c.name} probes ${path}`);
    assert.equal(portOf(c, probe.httpGet.port), port, `${c.name} probes its health port`);
  }
}

describe('deploy/ settings and the code that reads them', () => {
  for (const [overlay, runtime] of [['containerd', 'containerdRuncRoot'], ['cri-o', 'crioRuncRoot']] as const) {
    it(`${overlay}: the controller's environment loads, and it listens where it is probed`, async () => {
      const objects = await render(join(repoDir, 'deploy', 'overlays', overlay));
      const spec = podSpec(objects, 'Deployment', 'ckpt-controller');
      const c = spec.containers[0];
      assert.ok(c !== undefined && spec.containers.length === 1);
      const { config } = load(controllerOptions, c);
      assert.equal(config.leaderElect, true, 'two replicas need leader election');
      assert.equal(config.namespace, 'ckpt-system');
      assertProbes(c, config.healthPort);
      // Node refuses to start on an option it does not know in NODE_OPTIONS.
      const nodeOptions = envOf(c).NODE_OPTIONS;
      assert.ok(nodeOptions !== undefined, 'the controller sets NODE_OPTIONS');
      execFileSync(process.execPath, ['-e', '0'], { env: { NODE_OPTIONS: nodeOptions }, stdio: 'pipe' });
      const heapCapMiB = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1]);
      const limitMiB = Number(/^(\d+)Mi$/.exec(String(c.resources?.limits?.memory))?.[1]);
      assert.ok(heapCapMiB > 0 && heapCapMiB <= limitMiB * 0.8, `the V8 heap cap (${heapCapMiB} MiB) leaves room below the memory limit (${limitMiB} MiB)`);
    });

    it(`${overlay}: the agent's environment loads; runc root and archive root are host mounts`, async () => {
      const objects = await render(join(repoDir, 'deploy', 'overlays', overlay));
      const spec = podSpec(objects, 'DaemonSet', 'ckpt-agent');
      const c = spec.containers[0];
      assert.ok(c !== undefined && spec.containers.length === 1);
      const { config } = load(agentOptions, c);
      assert.equal(config.nodeName, 'node-a', 'CKPT_NODE_NAME comes from spec.nodeName');
      assertProbes(c, config.healthPort);
      const pool = Number(envOf(c).UV_THREADPOOL_SIZE);
      assert.ok(pool >= config.maxConcurrentCheckpoints + 2, `UV_THREADPOOL_SIZE ${pool} >= maxConcurrentCheckpoints + 2`);
      assert.equal(spec.hostPID, true);
      assert.equal(c.securityContext?.privileged, true);
      assert.ok(spec.tolerations?.some((t) => t.operator === 'Exists' && t.key === undefined), 'tolerates every taint');

      const runcRoot = config[runtime];
      const state = hostMountCovering(spec, c, runcRoot);
      assert.ok(state !== undefined, `${runtime} ${runcRoot} is on a host mount`);
      assert.equal(state.readOnly, true, 'the runtime\'s state is mounted read-only');
      // runc's state names host paths (bundle, rootfs): the agent must see them at the same paths.
      assert.equal(state.hostPath, state.mountPath, `${state.mountPath} is mounted from the same path on the host`);
      const archive = hostMountCovering(spec, c, config.archiveRoot);
      assert.deepEqual(archive, { hostPath: config.archiveRoot, mountPath: config.archiveRoot, readOnly: false }, 'archives go to the node, at the documented path');
      for (const m of c.volumeMounts ?? []) {
        if (m.mountPropagation !== undefined) assert.equal(m.mountPropagation, 'HostToContainer', `${m.mountPath}: the agent never propagates mounts back`);
      }
      for (const p of ['/sys/fs/cgroup', '/run/xtables.lock']) assert.ok(hostMountCovering(spec, c, p) !== undefined, `${p} is mounted from the host`);
    });
  }

  it('every metric the Grafana dashboard queries is exported by the code', async () => {
    const dashboard = await readFile(join(repoDir, 'deploy', 'components', 'monitoring', 'grafana-dashboard.json'), 'utf8');
    const exprs = [...dashboard.matchAll(/"expr": "((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1] ?? ''}"`) as string);
    assert.ok(exprs.length >= 15, `${exprs.length} queries`);
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:ckpt|workqueue|leader_election)_[a-z_]+)/g)].map((m) => (m[1] ?? '').replace(/_(bucket|sum|count)$/, ''))));
    const sources: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(dir, e.name));
        else if (e.name.endsWith('.ts')) sources.push(await readFile(join(dir, e.name), 'utf8'));
      }
    };
    await walk(join(repoDir, 'src'));
    const code = sources.join('\n');
    // Names are literals ('ckpt_checkpoints_total') or built by a helper
    // (`ckpt_criu_${name}_seconds`, called as criu('frozen', ...)).
    const exported = (name: string): boolean => {
      if (code.includes(`'${name}'`)) return true;
      const m = /^(ckpt_(?:agent_)?criu_)(\w+)(_seconds)$/.exec(name);
      return m !== null && code.includes(`\`${m[1] ?? ''}\${name}${m[3] ?? ''}\``) && code.includes(`criu('${m[2] ?? ''}'`);
    };
    for (const name of used) assert.ok(exported(name), `the dashboard queries ${name}, which nothing in src/ exports`);
    for (const name of ['ckpt_checkpoints_total', 'ckpt_checkpoint_duration_seconds', 'ckpt_criu_frozen_seconds', 'ckpt_archive_size_bytes', 'workqueue_depth', 'leader_election_master_status']) {
      assert.ok(used.has(name), `the dashboard shows ${name}`);
    }
  });
});
