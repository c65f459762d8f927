import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../src/runtime/fake-clock.ts';
import type { WorkQueueMetricsSink } from '../../../src/runtime/queue/queue-metrics.ts';
import { WorkQueue } from '../../../src/runtime/queue/work-queue.ts';

/** Resolves true if p settles within a few event-loop turns. */
async function settlesSoon(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => { done = true; });
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

describe('WorkQueue', () => {
  it('hands out items in the order they were added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('c');
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(await q.get(), 'c');
  });

  it('stores an item added twice while waiting only once', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  it('never hands an item being processed to a second worker', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    assert.equal(first, 'a');
    q.add('a');
    assert.equal(q.len(), 0, 'a re-added while processing is held back');
    const second = q.get();
    assert.equal(await settlesSoon(second), false, 'no second worker gets a while it is processed');
    q.done('a');
    assert.equal(await second, 'a', 'processed again after done');
  });

  it('processes an item re-added while processing once more, however often it was re-added', async () => {
    const q = new WorkQueue();
    q.add('a');
    await q.get();
    q.add('a');
    q.add('a');
    q.add('a');
    q.done('a');
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'a');
    q.done('a');
    assert.equal(q.len(), 0);
  });

  it('wakes a waiting worker when an item arrives', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    assert.equal(await settlesSoon(waiting), false);
    q.add('x');
    assert.equal(await waiting, 'x');
  });

  it('after shutDown ignores adds, still hands out queued items, then returns undefined', async () => {
    const q = new WorkQueue();
    q.add('a');
    const idle = q.get();
    assert.equal(await idle, 'a');
    q.add('b');
    const waiter2 = new WorkQueue();
    const blocked = waiter2.get();
    waiter2.shutDown();
    assert.equal(await blocked, undefined, 'a waiting worker is released by shutDown');
    q.shutDown();
    q.add('c');
    assert.equal(await q.get(), 'b');
    assert.equal(await q.get(), undefined);
    assert.equal(q.isShuttingDown(), true);
  });

  it('shutDownWithDrain waits for items being processed', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    await q.get();
    await q.get();
    const drained = q.shutDownWithDrain();
    assert.equal(await settlesSoon(drained), false);
    q.done('a');
    assert.equal(await settlesSoon(drained), false);
    q.done('b');
    assert.equal(await settlesSoon(drained), true);
  });

  it('reports adds, depth, queue time and work time', async () => {
    const clock = new FakeClock();
    const seen = { adds: 0, depth: [] as number[], queued: [] as number[], worked: [] as number[] };
    const metrics: WorkQueueMetricsSink = {
      added: () => { seen.adds++; },
      depth: (n) => { seen.depth.push(n); },
      queued: (s) => { seen.queued.push(s); },
      worked: (s) => { seen.worked.push(s); },
      retried: () => undefined,
    };
    const q = new WorkQueue({ clock, metrics });
    q.add('a');
    q.add('a');
    clock.advance(250);
    await q.get();
    clock.advance(1500);
    assert.equal(q.inFlight(), 1);
    assert.equal(q.unfinishedWorkSeconds(), 1.5);
    assert.equal(q.longestRunningProcessorSeconds(), 1.5);
    q.done('a');
    assert.equal(seen.adds, 2);
    assert.deepEqual(seen.depth, [1, 0]);
    assert.deepEqual(seen.queued, [0.25]);
    assert.deepEqual(seen.worked, [1.5]);
    assert.equal(q.unfinishedWorkSeconds(), 0);
  });

  it('handles many items without losing or duplicating any', async () => {
    const q = new WorkQueue<number>();
    for (let i = 0; i < 5000; i++) q.add(i % 2500);
    const got = new Set<number>();
    while (q.len() > 0) {
      const i = await q.get();
      assert.ok(i !== undefined && !got.has(i));
      got.add(i);
      q.done(i);
    }
    assert.equal(got.size, 2500);
  });
});
