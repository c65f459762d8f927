import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DelayingQueue } from '../../../src/runtime/queue/delaying-queue.ts';
import { FakeClock } from '../../../src/runtime/fake-clock.ts';

describe('DelayingQueue', () => {
  it('adds an item only once its delay has passed', () => {
    const clock = new FakeClock();
    const q = new DelayingQueue({ clock });
    q.addAfter('a', 100);
    assert.equal(q.len(), 0);
    assert.equal(q.waiting(), 1);
    clock.advance(99);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    assert.equal(q.waiting(), 0);
  });

  it('adds at once for a zero or negative delay', () => {
    const q = new DelayingQueue({ clock: new FakeClock() });
    q.addAfter('a', 0);
    q.addAfter('b', -5);
    assert.equal(q.len(), 2);
  });

  it('keeps the earlier ready time when an item is scheduled twice', () => {
    const clock = new FakeClock();
    const q = new DelayingQueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 100);
    q.addAfter('a', 5000);
    clock.advance(100);
    assert.equal(q.len(), 1);
    assert.equal(q.waiting(), 0);
    clock.advance(10_000);
    assert.equal(q.len(), 1, 'the superseded later times do not add it again');
  });

  it('releases items in due order', async () => {
    const clock = new FakeClock();
    const q = new DelayingQueue({ clock });
    q.addAfter('c', 300);
    q.addAfter('a', 100);
    q.addAfter('b', 200);
    clock.advance(1000);
    assert.deepEqual([await q.get(), await q.get(), await q.get()], ['a', 'b', 'c']);
  });

  it('drops waiting items and their timer on shutdown', () => {
    const clock = new FakeClock();
    const q = new DelayingQueue({ clock });
    q.addAfter('a', 100);
    q.shutDown();
    assert.equal(clock.pendingTimers(), 0);
    clock.advance(1000);
    assert.equal(q.len(), 0);
    q.addAfter('b', 10);
    assert.equal(q.waiting(), 0);
  });
});
