import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../src/runtime/fake-clock.ts';
import { Informer } from '../../../src/runtime/informer/informer.ts';
import type { KubeObject } from '../../../src/runtime/kube/object.ts';
import { coreResources } from '../../../src/runtime/kube/resource.ts';
import { FakeApi } from './fake-api.ts';

type Cm = KubeObject & { data?: Record<string, string> };

async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

function recorder(inf: Informer<Cm>): { log: string[]; mirror: Map<string, string> } {
  const log: string[] = [];
  // Replaying the handler calls must rebuild the server's state.
  const mirror = new Map<string, string>();
  const key = (o: Cm): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  inf.addHandlers({
    onAdd: (o, initial) => { log.push(`add ${o.metadata?.name ?? ''}${initial ? ' (initial)' : ''}`); mirror.set(key(o), o.metadata?.resourceVersion ?? ''); },
    onUpdate: (_old, o) => { log.push(`update ${o.metadata?.name ?? ''}`); mirror.set(key(o), o.metadata?.resourceVersion ?? ''); },
    onDelete: (o) => { log.push(`delete ${o.metadata?.name ?? ''}`); mirror.delete(key(o)); },
  });
  return { log, mirror };
}

function newInformer(api: FakeApi, extra: Partial<ConstructorParameters<typeof Informer<Cm>>[0]> = {}): Informer<Cm> {
  return new Informer<Cm>({ client: api, resource: coreResources.configMaps, backoff: { initialMs: 1, maxMs: 5 }, random: () => 0, ...extra });
}

describe('Informer (against an in-memory API)', () => {
  it('lists in pages, syncs, then follows add/update/delete from the list\'s version', async () => {
    const api = new FakeApi();
    for (let i = 0; i < 7; i++) api.put(`cm${i}`);
    const inf = newInformer(api, { pageSize: 3 });
    const { log, mirror } = recorder(inf);
    inf.start();
    await inf.waitForSync();
    assert.equal(inf.hasSynced(), true);
    assert.equal(inf.cache.size, 7);
    assert.equal(log.filter((l) => l.endsWith('(initial)')).length, 7);
    await turns();
    api.put('cm0', { a: '1' });
    api.put('new');
    api.remove('cm1');
    await turns();
    assert.deepEqual(log.slice(7), ['update cm0', 'add new', 'delete cm1']);
    assert.deepEqual(mirror, api.state());
    assert.equal(api.watchCalls[0]?.allowWatchBookmarks, true);
    assert.equal(api.watchCalls[0].resourceVersion, '107');
    await inf.stop();
  });

  it('lists again in one piece when a continuation expires, and keeps everything', async () => {
    const api = new FakeApi();
    for (let i = 0; i < 5; i++) api.put(`cm${i}`);
    api.expireNextContinue = true;
    const inf = newInformer(api, { pageSize: 2 });
    const { mirror } = recorder(inf);
    inf.start();
    await inf.waitForSync();
    assert.equal(inf.cache.size, 5);
    assert.deepEqual(mirror, api.state());
    assert.equal(api.lists, 3, 'first page, expired continuation, one full list');
    await inf.stop();
  });

  it('resumes a dropped watch from the last version seen, without relisting or losing events', async () => {
    const api = new FakeApi();
    api.put('a');
    const inf = newInformer(api);
    const { mirror } = recorder(inf);
    inf.start();
    await inf.waitForSync();
    await turns();
    api.put('b');
    await turns();
    api.dropWatches();
    api.put('c');
    api.remove('a');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(mirror, api.state());
    assert.equal(api.lists, 1);
    assert.equal(inf.stats().watchErrors, 1);
    await inf.stop();
  });

  it('moves its version on with bookmarks', async () => {
    const api = new FakeApi();
    const inf = newInformer(api);
    inf.start();
    await inf.waitForSync();
    await turns();
    api.put('elsewhere');
    api.remove('elsewhere');
    api.bookmark();
    assert.equal(inf.stats().lastResourceVersion, '102');
    await inf.stop();
  });

  it('relists on 410 Gone and delivers what changed meanwhile, deletions included', async () => {
    const api = new FakeApi();
    api.put('keep');
    api.put('change');
    api.put('gone');
    api.put('recreated');
    const inf = newInformer(api);
    const { log, mirror } = recorder(inf);
    inf.start();
    await inf.waitForSync();
    await turns();
    api.silenceWatches();
    api.put('change', { v: '2' });
    api.remove('gone');
    api.remove('recreated');
    api.put('recreated');
    api.put('born');
    api.compact();
    api.dropWatches();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(inf.stats().relistsAfterExpired, 1);
    assert.equal(api.lists, 2);
    assert.deepEqual(mirror, api.state());
    assert.deepEqual(log.slice(4).sort(), ['add born', 'add recreated', 'delete gone', 'delete recreated', 'update change']);
    await inf.stop();
  });

  it('restarts a watch that has gone silent once the watchdog period passes', async () => {
    const api = new FakeApi();
    const clock = new FakeClock();
    const inf = newInformer(api, { clock, watchdogMs: 10_000 });
    const { mirror } = recorder(inf);
    inf.start();
    await inf.waitForSync();
    await turns();
    assert.equal(api.activeWatches(), 1);
    api.silenceWatches();
    api.put('while-silent');
    clock.advance(9_000);
    await turns();
    assert.equal(inf.stats().watchdogRestarts, 0, 'not before the watchdog period');
    assert.equal(mirror.size, 0);
    clock.advance(1_000);
    await turns();
    assert.equal(inf.stats().watchdogRestarts, 1);
    assert.deepEqual(mirror, api.state(), 'the new watch replayed what the silent one missed');
    // Activity keeps a watch alive.
    for (let i = 0; i < 5; i++) {
      clock.advance(6_000);
      api.bookmark();
      await turns();
    }
    assert.equal(inf.stats().watchdogRestarts, 1);
    await inf.stop();
  });

  it('backs off while listing fails, then syncs', async () => {
    const api = new FakeApi();
    api.put('a');
    api.failNextLists = 3;
    const inf = newInformer(api);
    inf.start();
    await inf.waitForSync();
    assert.equal(api.lists, 4);
    assert.equal(inf.stats().watchErrors, 3);
    await inf.stop();
  });

  it('keeps delivering to other handlers when one throws, and freezes cached objects', async () => {
    const api = new FakeApi();
    api.put('a');
    const inf = newInformer(api);
    inf.addHandlers({ onAdd: () => { throw new Error('bad handler'); } });
    const { log } = recorder(inf);
    inf.start();
    await inf.waitForSync();
    assert.deepEqual(log, ['add a (initial)']);
    const cached = inf.cache.get('ns/a');
    assert.ok(cached !== undefined && Object.isFrozen(cached) && Object.isFrozen(cached.metadata));
    assert.equal(cached.metadata?.managedFields, undefined, 'managedFields are dropped');
    assert.throws(() => { (cached.metadata as { name: string }).name = 'x'; }, TypeError);
    await inf.stop();
  });

  it('replays the cache to late handlers and re-delivers everything on resync', async () => {
    const api = new FakeApi();
    api.put('a');
    api.put('b');
    const clock = new FakeClock();
    const inf = newInformer(api, { clock, resyncMs: 60_000 });
    inf.start();
    await inf.waitForSync();
    const { log } = recorder(inf);
    assert.deepEqual(log.sort(), ['add a (initial)', 'add b (initial)']);
    clock.advance(60_000);
    assert.deepEqual(log.slice(2).sort(), ['update a', 'update b']);
    await inf.stop();
  });

  it('serves lists by namespace and custom indexes', async () => {
    const api = new FakeApi();
    api.put('a', { node: 'n1' }, 'x');
    api.put('b', { node: 'n2' }, 'x');
    api.put('c', { node: 'n1' }, 'y');
    const inf = newInformer(api, { indexers: { node: (o) => [o.data?.node ?? ''] } });
    inf.start();
    await inf.waitForSync();
    assert.deepEqual(inf.cache.list('x').map((o) => o.metadata?.name).sort(), ['a', 'b']);
    assert.deepEqual(inf.cache.byIndex('node', 'n1').map((o) => o.metadata?.name).sort(), ['a', 'c']);
    await turns();
    api.put('a', { node: 'n2' }, 'x');
    await turns();
    assert.deepEqual(inf.cache.byIndex('node', 'n1').map((o) => o.metadata?.name), ['c']);
    await inf.stop();
  });
});
