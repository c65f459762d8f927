// Every object in deploy/ is accepted by a real API server: the base, the
// containerd and CRI-O overlays, each with and without the monitoring
// component, applied with `kubectl apply --dry-run=server` (schema, strict
// field validation, admission). The base and overlays carry nothing from
// monitoring.coreos.com, so they apply where no Prometheus Operator runs.
// And the RBAC that ships is exactly the RBAC the integration and node tests
// run the operator under (TestCluster.installRbac applies deploy/base/rbac).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoDir } from '../env/paths.ts';
import { TestCluster } from '../support/cluster.ts';
import { key, monitoringComponent, rbacKinds, render, variants, withMonitoring, type Obj } from './deploy-support.ts';

/** `kubectl apply --dry-run=server`, and the objects it reports as applied. */
async function dryRun(cluster: TestCluster, dir: string, serverSide: boolean): Promise<string> {
  const r = await cluster.kubectl(['apply', '--dry-run=server', ...(serverSide ? ['--server-side'] : []), '-k', dir]);
  assert.equal(r.code, 0, `kubectl apply --dry-run=server${serverSide ? ' --server-side' : ''} -k ${dir}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

function assertEveryObjectApplied(out: string, objects: Obj[], what: string): void {
  const lines = out.trim().split('\n');
  for (const o of objects) {
    const kind = o.kind.toLowerCase();
    const hit = lines.find((l) => l.startsWith(`${kind}.`) || l.startsWith(`${kind}/`) ? l.includes(`/${o.metadata.name} `) : false);
    assert.ok(hit !== undefined && hit.endsWith('(server dry run)'), `${what}: no dry-run result for ${key(o)} in:\n${out}`);
  }
}

describe('deploy/ on a real API server', () => {
  let cluster: TestCluster;

  before(async () => {
    // No CRDs up front: the manifests bring their own.
    cluster = await TestCluster.start({ installCrds: false });
    // Namespaced objects need their namespace to exist for a dry run; this
    // is also what every integration suite installs.
    await cluster.installRbac();
  });
  after(async () => { await cluster.stop(); });

  it('base and overlays carry no Prometheus Operator objects', async () => {
    for (const v of variants) {
      const objects = await render(join(repoDir, v));
      assert.deepEqual(objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/')).map(key), [], v);
    }
  });

  for (const v of variants) {
    it(`${v} applies (dry run, client- and server-side), on a cluster without the Prometheus Operator`, async () => {
      const dir = join(repoDir, v);
      const objects = await render(dir);
      assert.ok(objects.some((o) => o.kind === 'CustomResourceDefinition'), 'the CRDs are part of it');
      assert.ok(objects.some((o) => o.kind === 'DaemonSet') && objects.some((o) => o.kind === 'Deployment'));
      assertEveryObjectApplied(await dryRun(cluster, dir, false), objects, v);
      assertEveryObjectApplied(await dryRun(cluster, dir, true), objects, `${v} (server-side)`);
    });
  }

  it('the monitoring component needs the Prometheus Operator\'s CRDs', async () => {
    const m = await withMonitoring(variants[1]);
    try {
      const r = await cluster.kubectl(['apply', '--dry-run=server', '-k', m.dir]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /no matches for kind "(ServiceMonitor|PodMonitor)"|ensure CRDs are installed first/);
    } finally {
      await m.remove();
    }
  });

  for (const v of variants) {
    it(`${v} with ${monitoringComponent} applies (dry run) once the monitoring CRDs exist`, async () => {
      await cluster.kubectlOk(['apply', '-f', join(repoDir, 'test', 'fixtures', 'monitoring-crds.yaml')]);
      await cluster.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/servicemonitors.monitoring.coreos.com', 'crd/podmonitors.monitoring.coreos.com']);
      const m = await withMonitoring(v);
      try {
        const objects = await render(m.dir);
        const kinds = new Set(objects.map((o) => o.kind));
        for (const k of ['ServiceMonitor', 'PodMonitor', 'Service', 'ConfigMap']) assert.ok(kinds.has(k), `${v} + monitoring has a ${k}`);
        const dashboard = objects.find((o) => o.kind === 'ConfigMap');
        assert.equal(dashboard?.metadata.labels?.grafana_dashboard, '1');
        JSON.parse((dashboard.data as Record<string, string> | undefined)?.['ckpt-operator.json'] ?? '');
        assertEveryObjectApplied(await dryRun(cluster, m.dir, false), objects, `${v} + monitoring`);
      } finally {
        await m.remove();
      }
    });
  }
});

describe('the RBAC that ships is the RBAC the tests run under', () => {
  let cluster: TestCluster;
  const rbac = (objects: Obj[]): Obj[] => objects.filter((o) => rbacKinds.has(o.kind)).sort((a, b) => key(a).localeCompare(key(b)));

  before(async () => { cluster = await TestCluster.start({ installCrds: false }); });
  after(async () => { await cluster.stop(); });

  it('the base includes deploy/base/rbac and no other RBAC; no overlay or component changes it', async () => {
    const fromRbac = rbac(await render(join(repoDir, 'deploy', 'base', 'rbac')));
    assert.ok(fromRbac.length >= 10, `deploy/base/rbac renders ${fromRbac.length} objects`);
    for (const v of variants) assert.deepEqual(rbac(await render(join(repoDir, v))), fromRbac, v);
    const m = await withMonitoring(variants[1]);
    try {
      assert.deepEqual(rbac(await render(m.dir)), fromRbac, 'with monitoring');
    } finally {
      await m.remove();
    }
  });

  it('the pods run as the ServiceAccounts of deploy/base/rbac', async () => {
    const objects = await render(join(repoDir, 'deploy', 'overlays', 'containerd'));
    const accounts = new Set(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`));
    for (const [kind, name] of [['Deployment', 'ckpt-controller'], ['DaemonSet', 'ckpt-agent']] as const) {
      const w = objects.find((o) => o.kind === kind && o.metadata.name === name) as { metadata: { namespace?: string }; spec: { template: { spec: { serviceAccountName?: string } } } } | undefined;
      assert.ok(w !== undefined, `${kind} ${name}`);
      assert.ok(accounts.has(`${w.metadata.namespace ?? ''}/${w.spec.template.spec.serviceAccountName ?? ''}`), `${kind} ${name} runs as a ServiceAccount of deploy/base/rbac`);
    }
  });

  it('TestCluster.installRbac creates exactly those objects, with the same rules, bindings and subjects', async () => {
    await cluster.installRbac();
    for (const o of rbac(await render(join(repoDir, 'deploy', 'overlays', 'containerd')))) {
      const live = JSON.parse(await cluster.kubectlOk(['get', o.kind.toLowerCase(), o.metadata.name, ...(o.metadata.namespace !== undefined ? ['-n', o.metadata.namespace] : []), '-o', 'json'])) as Obj;
      for (const field of ['rules', 'roleRef', 'subjects'] as const) assert.deepEqual(live[field], o[field], `${key(o)} ${field}`);
    }
  });
});
