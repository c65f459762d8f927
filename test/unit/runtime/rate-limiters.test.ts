import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../src/runtime/fake-clock.ts';
import {
  defaultControllerRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, TokenBucketRateLimiter,
} from '../../../src/runtime/queue/rate-limiters.ts';
import { RateLimitingQueue } from '../../../src/runtime/queue/rate-limiting-queue.ts';

describe('ItemExponentialFailureRateLimiter', () => {
  it('doubles from 5 ms per failure up to 1000 s, per item', () => {
    const l = new ItemExponentialFailureRateLimiter<string>();
    const delays = Array.from({ length: 20 }, () => l.when('a'));
    assert.deepEqual(delays.slice(0, 5), [5, 10, 20, 40, 80]);
    assert.equal(delays[17], 5 * 2 ** 17);
    assert.equal(delays[18], 1_000_000, '5 ms * 2^18 > 1000 s: capped');
    assert.equal(l.when('a'), 1_000_000);
    assert.equal(l.when('b'), 5, 'other items have their own count');
    assert.equal(l.numRequeues('a'), 21);
  });

  it('never overflows into a non-finite delay', () => {
    const l = new ItemExponentialFailureRateLimiter<string>();
    for (let i = 0; i < 2000; i++) l.when('a');
    assert.equal(l.when('a'), 1_000_000);
  });

  it('starts over after forget', () => {
    const l = new ItemExponentialFailureRateLimiter<string>();
    l.when('a');
    l.when('a');
    l.forget('a');
    assert.equal(l.numRequeues('a'), 0);
    assert.equal(l.when('a'), 5);
  });
});

describe('TokenBucketRateLimiter', () => {
  it('allows a burst of 100 at once, then 10 per second', () => {
    const clock = new FakeClock();
    const l = new TokenBucketRateLimiter<string>(10, 100, clock);
    for (let i = 0; i < 100; i++) assert.equal(l.when(`k${i}`), 0);
    assert.equal(Math.round(l.when('x')), 100);
    assert.equal(Math.round(l.when('y')), 200);
    clock.advance(1000);
    // 10 tokens came back and 2 were owed: the next is free, and so are 7 more.
    for (let i = 0; i < 8; i++) assert.equal(l.when(`z${i}`), 0);
    assert.ok(l.when('late') > 0);
  });

  it('rejects impossible settings', () => {
    assert.throws(() => new TokenBucketRateLimiter(0, 10), /qps > 0/);
    assert.throws(() => new TokenBucketRateLimiter(10, 0), /burst >= 1/);
  });
});

describe('MaxOfRateLimiter and the default controller limiter', () => {
  it('takes the larger delay of its limiters and forgets in all of them', () => {
    const clock = new FakeClock();
    const l = new MaxOfRateLimiter<string>(new ItemExponentialFailureRateLimiter(5, 1_000_000), new TokenBucketRateLimiter(1, 1, clock));
    assert.equal(l.when('a'), 5);
    assert.equal(Math.round(l.when('a')), 1000, 'the bucket is empty: 1 qps');
    l.forget('a');
    assert.equal(l.numRequeues('a'), 0);
  });

  it('defaults to 5 ms..1000 s per item and 10 qps / burst 100 overall', () => {
    const clock = new FakeClock();
    const l = defaultControllerRateLimiter<string>({ clock });
    assert.equal(l.when('a'), 5);
    for (let i = 0; i < 99; i++) l.when(`b${i}`);
    assert.equal(Math.round(l.when('c')), 100);
  });
});

describe('RateLimitingQueue', () => {
  it('retries an item after its growing backoff and resets on forget', async () => {
    const clock = new FakeClock();
    let retries = 0;
    const q = new RateLimitingQueue<string>({
      clock,
      rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000),
      metrics: { added: () => undefined, depth: () => undefined, queued: () => undefined, worked: () => undefined, retried: () => { retries++; } },
    });
    q.add('a');
    for (const expected of [5, 10, 20, 40]) {
      const item = await q.get();
      assert.equal(item, 'a');
      q.addRateLimited('a');
      q.done('a');
      clock.advance(expected - 1);
      assert.equal(q.len(), 0, `not before ${expected} ms`);
      clock.advance(1);
      assert.equal(q.len(), 1, `after ${expected} ms`);
    }
    assert.equal(q.numRequeues('a'), 4);
    assert.equal(retries, 4);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
  });
});
