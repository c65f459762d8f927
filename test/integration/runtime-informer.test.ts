// The informer against a real kube-apiserver and etcd: events, API server
// restarts, 410 Gone after compaction, and silent connections. The informer
// runs as a ServiceAccount allowed only to read what it watches.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import { Informer, type InformerOptions } from '../../src/runtime/informer/informer.ts';
import type { KubeClient } from '../../src/runtime/kube/kube-client.ts';
import type { KubeObject } from '../../src/runtime/kube/object.ts';
import { coreResources, type ResourceType } from '../../src/runtime/kube/resource.ts';
import { createLogger } from '../../src/runtime/logging/logger.ts';
import { TestCluster } from '../support/cluster.ts';
import {
  clientFor, compactEtcd, identityWithRules, installWidgetCrd, sleep, TcpProxy, throughProxy, waitUntil, widgets,
} from './runtime-support.ts';

type Obj = KubeObject & { data?: Record<string, string>; spec?: Record<string, unknown> };

const logger = createLogger({ level: process.env.CKPT_TEST_VERBOSE !== undefined ? 'debug' : 'silent' });

/** Applies handler calls to a map; equal to the server's state iff no event was lost. */
function mirrorOf(inf: Informer<Obj>): { mirror: Map<string, string>; log: string[] } {
  const mirror = new Map<string, string>();
  const log: string[] = [];
  inf.addHandlers({
    onAdd: (o) => { mirror.set(o.metadata?.name ?? '', o.metadata?.resourceVersion ?? ''); log.push(`add ${o.metadata?.name ?? ''}`); },
    onUpdate: (_old, o) => { mirror.set(o.metadata?.name ?? '', o.metadata?.resourceVersion ?? ''); log.push(`update ${o.metadata?.name ?? ''}`); },
    onDelete: (o) => { mirror.delete(o.metadata?.name ?? ''); log.push(`delete ${o.metadata?.name ?? ''}`); },
  });
  return { mirror, log };
}

function cacheState(inf: Informer<Obj>): Map<string, string> {
  return new Map(inf.cache.list().map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? '']));
}

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

describe('Informer against a real API server', () => {
  let cluster: TestCluster | undefined;
  let admin: KubeClient;
  let watcher: KubeConfig;
  const ns = 'informer-test';

  const c = (): TestCluster => {
    if (cluster === undefined) throw new Error('the control plane did not start');
    return cluster;
  };

  async function serverState(r: ResourceType, selector?: string): Promise<Map<string, string>> {
    const list = await admin.list<Obj>(r, { namespace: ns, labelSelector: selector });
    return new Map(list.items.map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? '']));
  }

  function configMap(name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): Obj {
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data };
  }

  function newInformer(kc: KubeConfig, r: ResourceType, extra: Partial<InformerOptions<Obj>> = {}): Informer<Obj> {
    return new Informer<Obj>({ client: clientFor(kc), resource: r, namespace: ns, logger, backoff: { initialMs: 200, maxMs: 2000 }, ...extra });
  }

  before(async () => {
    cluster = await TestCluster.start({ installCrds: false });
    admin = clientFor(cluster.adminConfig());
    await installWidgetCrd(cluster);
    await cluster.kubectlOk(['create', 'namespace', ns]);
    watcher = await identityWithRules(cluster, ns, 'watcher', [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] },
      { apiGroups: ['runtime-test.ckpt.dev'], resources: ['widgets'], verbs: ['list', 'watch'] },
    ]);
  });

  after(async () => {
    (admin as KubeClient | undefined)?.close(); // unset if the control plane never started
    await cluster?.stop();
  });

  it('sees adds, updates and deletes of a custom resource and of a core type filtered by label', async () => {
    const cms = newInformer(watcher, coreResources.configMaps, { labelSelector: 'app=mine' });
    const ws = newInformer(watcher, widgets);
    const cmView = mirrorOf(cms);
    const wView = mirrorOf(ws);
    await admin.create(coreResources.configMaps, configMap('before', { app: 'mine' }));
    cms.start();
    ws.start();
    await Promise.all([cms.waitForSync(), ws.waitForSync()]);
    assert.deepEqual(cmView.log, ['add before']);

    const w = await admin.create<Obj>(widgets, { apiVersion: 'runtime-test.ckpt.dev/v1', kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size: 1 } });
    await admin.create(coreResources.configMaps, configMap('mine', { app: 'mine' }));
    await admin.create(coreResources.configMaps, configMap('theirs', { app: 'theirs' }));
    await admin.patch(coreResources.configMaps, 'mine', ns, { data: { k: 'v' } });
    await admin.patch(widgets, 'w1', ns, { spec: { size: 2 } });
    await admin.delete(coreResources.configMaps, 'before', ns);
    await admin.delete(widgets, w.metadata?.name ?? '', ns);

    await waitUntil('the informers to catch up', async () => sameMap(cmView.mirror, await serverState(coreResources.configMaps, 'app=mine'))
      && sameMap(wView.mirror, await serverState(widgets)) && wView.log.length === 3, 15_000);
    assert.deepEqual(cmView.log, ['add before', 'add mine', 'update mine', 'delete before']);
    assert.deepEqual(wView.log, ['add w1', 'update w1', 'delete w1']);
    assert.equal(cms.cache.get(`${ns}/theirs`), undefined, 'the label selector keeps other objects out');
    assert.equal(cms.cache.get(`${ns}/mine`)?.data?.k, 'v');
    await Promise.all([cms.stop(), ws.stop()]);
  });

  it('resumes after kube-apiserver restarts and loses no event', async () => {
    const inf = newInformer(watcher, coreResources.configMaps, { labelSelector: 'suite=restart' });
    const view = mirrorOf(inf);
    inf.start();
    await inf.waitForSync();
    const labels = { suite: 'restart' };
    for (let i = 0; i < 10; i++) await admin.create(coreResources.configMaps, configMap(`r${i}`, labels));

    // Keep writing while the API server goes away and comes back.
    const state = { writing: true };
    const writes = (async () => {
      let i = 0;
      while (state.writing) {
        const n = i++ % 10;
        try {
          if (n % 3 === 0) await admin.delete(coreResources.configMaps, `r${n}`, ns);
          else if (n % 3 === 1) await admin.patch(coreResources.configMaps, `r${n}`, ns, { data: { i: String(i) } });
          else await admin.create(coreResources.configMaps, configMap(`late${i}`, labels));
        } catch {
          // Refused while the server is down, or already deleted: fine, the server state decides.
        }
        await sleep(50);
      }
    })();
    await c().restartApiServer(1500);
    await sleep(1000);
    state.writing = false;
    await writes;
    await admin.create(coreResources.configMaps, configMap('after-restart', labels));

    await waitUntil('the informer to match the server after the restart', async () => {
      const server = await serverState(coreResources.configMaps, 'suite=restart');
      return sameMap(view.mirror, server) && sameMap(cacheState(inf), server);
    }, 60_000, 200);
    assert.ok(inf.stats().watchErrors + inf.stats().relistsAfterExpired >= 1, `the watch broke and was restored: ${JSON.stringify(inf.stats())}`);
    await inf.stop();
  });

  it('relists on 410 Gone and delivers the changes it missed, deletions included', async () => {
    const proxy = await TcpProxy.start(c().info.server);
    const inf = newInformer(throughProxy(watcher, proxy), coreResources.configMaps, { labelSelector: 'suite=gone' });
    const view = mirrorOf(inf);
    const labels = { suite: 'gone' };
    for (const n of ['keep', 'change', 'delete-me', 'recreate']) await admin.create(coreResources.configMaps, configMap(n, labels));
    inf.start();
    await inf.waitForSync();
    const before = inf.stats();

    // Blind the informer, change the world, then make its resourceVersion
    // unservable: compact etcd and restart the API server (its watch cache
    // starts again at the current revision).
    proxy.freeze();
    await admin.patch(coreResources.configMaps, 'change', ns, { data: { v: '2' } });
    await admin.delete(coreResources.configMaps, 'delete-me', ns);
    const old = await admin.get<Obj>(coreResources.configMaps, 'recreate', ns);
    await admin.delete(coreResources.configMaps, 'recreate', ns);
    await admin.create(coreResources.configMaps, configMap('recreate', labels));
    await admin.create(coreResources.configMaps, configMap('born', labels));
    await compactEtcd(c());
    await c().restartApiServer(0);
    proxy.cutAll();

    await waitUntil('the informer to relist and match the server', async () => {
      const server = await serverState(coreResources.configMaps, 'suite=gone');
      return sameMap(view.mirror, server) && sameMap(cacheState(inf), server);
    }, 60_000, 200);
    const s = inf.stats();
    assert.ok(s.relistsAfterExpired >= 1, `a 410 Gone was seen: ${JSON.stringify(s)}`);
    assert.ok(s.lists > before.lists, 'and answered with a new list');
    const missed = view.log.slice(4);
    assert.ok(missed.includes('delete delete-me'), `the deletion missed while blind is delivered: ${missed.join(', ')}`);
    assert.ok(missed.includes('update change') && missed.includes('add born'));
    assert.ok(missed.includes('delete recreate') && missed.includes('add recreate'), 'a re-created object is a delete and an add');
    assert.notEqual(inf.cache.get(`${ns}/recreate`)?.metadata?.uid, old.metadata?.uid);
    await inf.stop();
    await proxy.close();
  });

  it('restarts a watch that went silent, resuming where it was', async () => {
    const proxy = await TcpProxy.start(c().info.server);
    // Healthy watches end after 2-4 s (server timeout) and are restarted
    // normally; only a watch silent for 6 s trips the watchdog.
    const inf = newInformer(throughProxy(watcher, proxy), coreResources.configMaps, {
      labelSelector: 'suite=silent', watchdogMs: 6000, minWatchTimeoutSeconds: 2,
    });
    const view = mirrorOf(inf);
    inf.start();
    await inf.waitForSync();
    await sleep(8000);
    const healthy = inf.stats();
    assert.equal(healthy.watchdogRestarts, 0, `a healthy quiet watch never trips the watchdog: ${JSON.stringify(healthy)}`);
    assert.ok(healthy.watches >= 2, 'server-ended watches were resumed');

    proxy.freeze();
    await admin.create(coreResources.configMaps, configMap('during-silence', { suite: 'silent' }));
    await waitUntil('the change made during the silence to arrive', () => view.mirror.has('during-silence'), 30_000);
    const s = inf.stats();
    assert.ok(s.watchdogRestarts >= 1, `the watchdog restarted the watch: ${JSON.stringify(s)}`);
    assert.equal(s.lists, 1, 'resumed from its resourceVersion without relisting');
    await inf.stop();
    await proxy.close();
  });
});
