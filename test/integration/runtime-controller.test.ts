// The controller loop, status writes, finalizers, events and the manager
// against a real API server, running as a ServiceAccount with only the
// permissions a controller of Widgets needs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { Controller } from '../../src/runtime/controller/controller.ts';
import { EventRecorder, type KubeEvent } from '../../src/runtime/events/event-recorder.ts';
import { Informer } from '../../src/runtime/informer/informer.ts';
import { ConflictError } from '../../src/runtime/kube/api-error.ts';
import type { KubeClient } from '../../src/runtime/kube/kube-client.ts';
import type { KubeObject } from '../../src/runtime/kube/object.ts';
import { coreResources } from '../../src/runtime/kube/resource.ts';
import type { Lease } from '../../src/runtime/leader/lease-lock.ts';
import { createLogger } from '../../src/runtime/logging/logger.ts';
import { Manager } from '../../src/runtime/manager/manager.ts';
import { runtimeMetrics } from '../../src/runtime/metrics/runtime-metrics.ts';
import { findCondition, setCondition, type Condition } from '../../src/runtime/objects/conditions.ts';
import { addFinalizer, removeFinalizer } from '../../src/runtime/objects/finalizers.ts';
import { StatusWriter } from '../../src/runtime/objects/status-writer.ts';
import { TestCluster } from '../support/cluster.ts';
import { clientFor, identityWithRules, installWidgetCrd, sleep, waitUntil, widgets } from './runtime-support.ts';

interface Widget extends KubeObject {
  spec?: { value?: string };
  status?: { observedValue?: string; note?: string; conditions?: Condition[] };
}

const logger = createLogger({ level: process.env.CKPT_TEST_VERBOSE !== undefined ? 'debug' : 'silent' });

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return m?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value ?? Number.NaN;
}

describe('Controller, status writer, events and manager against a real API server', () => {
  let cluster: TestCluster | undefined;
  let admin: KubeClient;
  let controllerConfig: KubeConfig;
  const ns = 'controller-test';
  const clients: KubeClient[] = [];

  const client = (): KubeClient => {
    const cl = clientFor(controllerConfig);
    clients.push(cl);
    return cl;
  };

  function widget(name: string, value: string): Widget {
    return { apiVersion: 'runtime-test.ckpt.dev/v1', kind: 'Widget', metadata: { name, namespace: ns }, spec: { value } };
  }

  before(async () => {
    cluster = await TestCluster.start({ installCrds: false });
    admin = clientFor(cluster.adminConfig());
    await installWidgetCrd(cluster);
    await cluster.kubectlOk(['create', 'namespace', ns]);
    controllerConfig = await identityWithRules(cluster, ns, 'widget-controller', [
      { apiGroups: ['runtime-test.ckpt.dev'], resources: ['widgets'], verbs: ['list', 'watch', 'patch'] },
      { apiGroups: ['runtime-test.ckpt.dev'], resources: ['widgets/status'], verbs: ['update', 'patch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
    ]);
  });

  after(async () => {
    for (const cl of clients) cl.close();
    (admin as KubeClient | undefined)?.close(); // unset if the control plane never started
    await cluster?.stop();
  });

  it('turns a status write conflict into a requeue and overwrites nothing', async () => {
    const cl = client();
    const registry = new Registry();
    const informer = new Informer<Widget>({ client: cl, resource: widgets, namespace: ns, logger });
    const status = new StatusWriter(cl, { fieldManager: 'widget-controller' });
    let attempts = 0;
    let conflicts = 0;
    const controller = new Controller({
      name: 'widget-status', metrics: runtimeMetrics(registry), logger, workers: 2,
      reconciler: {
        async reconcile(ctx, key) {
          const w = informer.cache.get(key);
          if (w === undefined) return;
          if (key === `${ns}/contested`) {
            attempts++;
            if (attempts === 1) {
              // Someone else writes status between our read and our write.
              await admin.patch(widgets, 'contested', ns, { status: { note: 'external' } }, { type: 'merge', subresource: 'status' });
            }
          }
          const next: Widget = {
            ...w,
            status: {
              ...w.status,
              observedValue: w.spec?.value ?? '',
              conditions: setCondition(w.status?.conditions, {
                type: 'Ready', status: 'True', reason: 'ValueObserved', message: `value ${w.spec?.value ?? ''}`,
                ...(w.metadata?.generation !== undefined ? { observedGeneration: w.metadata.generation } : {}),
              }),
            },
          };
          try {
            await status.update(widgets, next, ctx.signal);
          } catch (err) {
            if (err instanceof ConflictError) conflicts++;
            throw err;
          }
        },
      },
    }).watch(informer);
    const stop = new AbortController();
    informer.start();
    const running = controller.run({ stop: stop.signal, abort: new AbortController().signal });
    await admin.create(widgets, widget('contested', 'blue'));
    await admin.create(widgets, widget('calm', 'green'));

    await waitUntil('both widgets to show their observed value', async () => {
      const [a, b] = await Promise.all([admin.get<Widget>(widgets, 'contested', ns), admin.get<Widget>(widgets, 'calm', ns)]);
      return a.status?.observedValue === 'blue' && b.status?.observedValue === 'green';
    }, 20_000, 100);
    const contested = await admin.get<Widget>(widgets, 'contested', ns);
    const ready = findCondition(contested.status?.conditions, 'Ready');
    assert.equal(contested.status?.note, 'external', 'the concurrent write survived: nothing was overwritten');
    assert.equal(ready?.reason, 'ValueObserved');
    assert.equal(ready.observedGeneration, 1);
    assert.ok(conflicts >= 1 && attempts >= 2, `the first write conflicted and was retried (${conflicts} conflicts, ${attempts} attempts)`);
    assert.ok(await metric(registry, 'controller_runtime_reconcile_total', { controller: 'widget-status', result: 'requeue' }) >= 1);
    assert.equal(await metric(registry, 'controller_runtime_reconcile_errors_total', { controller: 'widget-status' }), 0);

    stop.abort();
    await running;
    await informer.stop();
  });

  it('adds and removes finalizers only on the version it read', async () => {
    const cl = client();
    const created = await admin.create<Widget>(widgets, widget('guarded', 'x'));
    const withF = await addFinalizer(cl, widgets, created, 'runtime-test.ckpt.dev/cleanup');
    assert.deepEqual(withF.metadata?.finalizers, ['runtime-test.ckpt.dev/cleanup']);
    // A stale copy (the one read before the finalizer was added) must not win.
    await assert.rejects(addFinalizer(cl, widgets, created, 'other.ckpt.dev/f'), ConflictError);
    const without = await removeFinalizer(cl, widgets, withF, 'runtime-test.ckpt.dev/cleanup');
    assert.deepEqual(without.metadata?.finalizers ?? [], []);
  });

  it('records events and folds repeats into one series', async () => {
    const cl = client();
    const w = await admin.create<Widget>(widgets, widget('eventful', 'x'));
    const recorder = new EventRecorder({ client: cl, reportingController: 'runtime-test.ckpt.dev/widget-controller', reportingInstance: 'test-1', logger });
    for (let i = 0; i < 5; i++) {
      recorder.event(w, { type: 'Warning', reason: 'ValueRejected', action: 'Validate', note: 'value x is not allowed' });
      await sleep(20);
    }
    recorder.event(w, { type: 'Normal', reason: 'ValueAccepted', action: 'Validate', note: 'fine now' });
    await recorder.close();
    const events = (await admin.list<KubeEvent>(coreResources.events, { namespace: ns })).items.filter((e) => e.regarding.name === 'eventful');
    assert.equal(events.length, 2, `two distinct events, not six: ${events.map((e) => e.reason).join(', ')}`);
    const rejected = events.find((e) => e.reason === 'ValueRejected');
    assert.equal(rejected?.series?.count, 5);
    assert.equal(rejected.type, 'Warning');
    assert.equal(rejected.regarding.uid, w.metadata?.uid);
    assert.equal(rejected.reportingController, 'runtime-test.ckpt.dev/widget-controller');
    assert.equal(events.find((e) => e.reason === 'ValueAccepted')?.series, undefined);
  });

  it('runs a controller under a manager: ready after sync and election, metrics served, graceful stop finishes work and releases the lease', async () => {
    const registry = new Registry();
    const mgr = new Manager({
      client: client(), logger, registry, health: { port: 0, host: '127.0.0.1' }, gracefulShutdownMs: 10_000,
      leaderElection: { namespace: ns, name: 'widget-controller', identity: 'manager-1', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
    });
    const informer = mgr.informers.informer<Widget>(widgets, { namespace: ns });
    const reconciled = new Set<string>();
    const slow = { started: false, finished: false, aborted: false };
    mgr.newController({
      name: 'widget', workers: 2,
      reconciler: {
        async reconcile(ctx, key) {
          if (key === `${ns}/slow`) {
            slow.started = true;
            await sleep(1500);
            slow.aborted = ctx.signal.aborted;
            slow.finished = true;
          }
          reconciled.add(key);
        },
      },
    }).watch(informer);
    const stop = new AbortController();
    const done = mgr.start(stop.signal);
    const get = async (path: string): Promise<{ code: number; body: string }> => {
      const port = mgr.port();
      if (port === undefined) return { code: 0, body: '' };
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      return { code: r.status, body: await r.text() };
    };
    await waitUntil('/readyz', async () => (await get('/readyz')).code === 200, 20_000);
    await waitUntil('leadership', () => mgr.elector?.isLeader() === true, 10_000);
    await admin.create(widgets, widget('quick', 'q'));
    await waitUntil('the quick widget to be reconciled', () => reconciled.has(`${ns}/quick`), 10_000);
    const metrics = (await get('/metrics')).body;
    assert.match(metrics, /controller_runtime_reconcile_total\{controller="widget",result="success"\} [1-9]/);
    assert.match(metrics, /leader_election_master_status\{name="widget-controller"\} 1/);
    assert.match(metrics, /workqueue_adds_total\{name="widget",controller="widget"\} [1-9]/);
    assert.match(metrics, /controller_runtime_reconcile_time_seconds_bucket\{le="0.005",controller="widget"\}/);
    assert.equal((await admin.get<Lease>(coreResources.leases, 'widget-controller', ns)).spec?.holderIdentity, 'manager-1');

    await admin.create(widgets, widget('slow', 's'));
    await waitUntil('the slow reconcile to start', () => slow.started, 10_000);
    stop.abort();
    await done;
    assert.ok(slow.finished && !slow.aborted, 'the reconcile in progress finished within the grace period, unaborted');
    assert.equal((await admin.get<Lease>(coreResources.leases, 'widget-controller', ns)).spec?.holderIdentity, '', 'the lease was released');
    await assert.rejects(fetch(`http://127.0.0.1:${String(mgr.port())}/healthz`), 'the health server is closed');
  });
});
