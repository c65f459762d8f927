// Graceful shutdown with real signals: a component main (runtime-shutdown-child.ts)
// runs as a child process under a ServiceAccount; SIGTERM must let the
// reconcile in progress finish (or abort it at the grace period), release the
// lease and exit 0.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { KubeClient } from '../../src/runtime/kube/kube-client.ts';
import { coreResources } from '../../src/runtime/kube/resource.ts';
import type { Lease } from '../../src/runtime/leader/lease-lock.ts';
import { TestCluster } from '../support/cluster.ts';
import { clientFor, identityWithRules, installWidgetCrd, waitUntil, widgets } from './runtime-support.ts';

interface Child {
  proc: ChildProcessWithoutNullStreams;
  lines: { msg?: string; level?: string; time?: string; key?: string }[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

describe('graceful shutdown of a manager on SIGTERM', () => {
  let cluster: TestCluster | undefined;
  let admin: KubeClient;
  let kubeconfig: string;
  const ns = 'shutdown-test';
  const children: Child[] = [];

  const c = (): TestCluster => {
    if (cluster === undefined) throw new Error('the control plane did not start');
    return cluster;
  };

  function startChild(lease: string, args: string[]): Child {
    const proc = spawn(process.execPath, [join(import.meta.dirname, 'runtime-shutdown-child.ts'),
      `--kubeconfig=${kubeconfig}`, `--namespace=${ns}`, `--leader-election-id=${lease}`, '--health-port=0', '--health-host=127.0.0.1',
      '--lease-duration=4s', '--renew-deadline=3s', '--retry-period=500ms', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const child: Child = {
      proc,
      lines: [],
      exited: new Promise((resolve) => proc.once('exit', (code, signal) => { resolve({ code, signal, at: Date.now() }); })),
    };
    let stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    createInterface({ input: proc.stdout }).on('line', (l) => {
      try {
        child.lines.push(JSON.parse(l) as Child['lines'][number]);
      } catch {
        child.lines.push({ msg: `unparsed: ${l}` });
      }
    });
    void child.exited.then(({ code }) => {
      if (code !== 0 && stderr !== '') process.stderr.write(`child stderr:\n${stderr}\n`);
    });
    children.push(child);
    return child;
  }

  const messages = (ch: Child): string[] => ch.lines.map((l) => l.msg ?? '');

  async function holder(lease: string): Promise<string | null | undefined> {
    return (await admin.get<Lease>(coreResources.leases, lease, ns)).spec?.holderIdentity;
  }

  before(async () => {
    cluster = await TestCluster.start({ installCrds: false });
    admin = clientFor(cluster.adminConfig());
    await installWidgetCrd(cluster);
    await cluster.kubectlOk(['create', 'namespace', ns]);
    await identityWithRules(cluster, ns, 'child', [
      { apiGroups: ['runtime-test.ckpt.dev'], resources: ['widgets'], verbs: ['list', 'watch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
    ]);
    kubeconfig = await cluster.serviceAccountKubeconfig(ns, 'child');
  });

  after(async () => {
    for (const ch of children) if (ch.proc.exitCode === null) ch.proc.kill('SIGKILL');
    (admin as KubeClient | undefined)?.close(); // unset if the control plane never started
    await cluster?.stop();
  });

  it('lets the reconcile in progress finish, releases the lease and exits 0', async () => {
    const ch = startChild('finish', ['--slow-work=2s', '--graceful-shutdown-timeout=20s']);
    await waitUntil('the child to lead', () => messages(ch).includes('became leader'), 20_000);
    await admin.create(widgets, { apiVersion: 'runtime-test.ckpt.dev/v1', kind: 'Widget', metadata: { name: 'slow', namespace: ns } });
    await waitUntil('the slow reconcile to start', () => messages(ch).includes('reconcile started'), 10_000);
    ch.proc.kill('SIGTERM');
    const exit = await ch.exited;
    assert.equal(exit.code, 0, messages(ch).join(' | '));
    const m = messages(ch);
    assert.ok(m.includes('shutting down gracefully'));
    assert.ok(m.indexOf('reconcile finished') >= 0 && m.indexOf('reconcile finished') < m.indexOf('released the lease'),
      `the work finished before the lease was released: ${m.join(' | ')}`);
    assert.ok(!m.includes('reconcile aborted'));
    assert.equal(await holder('finish'), '');
  });

  it('aborts work that outlasts the grace period, then still releases the lease and exits', async () => {
    await admin.delete(widgets, 'slow', ns);
    const ch = startChild('bounded', ['--slow-work=10m', '--graceful-shutdown-timeout=1s']);
    await waitUntil('the child to lead', () => messages(ch).includes('became leader'), 20_000);
    await admin.create(widgets, { apiVersion: 'runtime-test.ckpt.dev/v1', kind: 'Widget', metadata: { name: 'slow', namespace: ns } });
    await waitUntil('the slow reconcile to start', () => messages(ch).includes('reconcile started'), 10_000);
    const sentAt = Date.now();
    ch.proc.kill('SIGTERM');
    const exit = await ch.exited;
    assert.equal(exit.code, 0, messages(ch).join(' | '));
    assert.ok(exit.at - sentAt < 1000 + 5000, `exited ${exit.at - sentAt} ms after SIGTERM with a 1 s grace period`);
    const m = messages(ch);
    assert.ok(m.includes('work did not finish within the grace period; aborting it'));
    assert.ok(m.includes('reconcile aborted'));
    assert.equal(await holder('bounded'), '');
    assert.ok(c().info.server !== '');
  });
});
