import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { JobTracker } from '../../../src/agent/worker/job-tracker.ts';
import { silentLogger } from '../../../src/runtime/logging/logger.ts';

function running(): { tracker: JobTracker; stop: AbortController; done: Promise<void> } {
  const tracker = new JobTracker(silentLogger());
  const stop = new AbortController();
  const done = tracker.run({ stop: stop.signal, abort: new AbortController().signal });
  return { tracker, stop, done };
}

describe('JobTracker slots', () => {
  it('hands out no more slots than allowed while claims are in flight', () => {
    const { tracker, stop, done } = running();
    assert.equal(tracker.reserve('a', 2), true);
    assert.equal(tracker.reserve('b', 2), true);
    assert.equal(tracker.reserve('c', 2), false, 'a third claim got a slot');
    assert.equal(tracker.reserve('a', 5), false, 'one checkpoint got two slots');
    assert.equal(tracker.size, 2);
    stop.abort();
    return done;
  });

  it('gives a slot back when the claim fails, and when the job ends', async () => {
    const { tracker, stop, done } = running();
    assert.ok(tracker.reserve('a', 1));
    tracker.release('a');
    assert.ok(tracker.reserve('b', 1));
    let finish = (): void => undefined;
    tracker.start('b', () => new Promise<void>((resolve) => { finish = resolve; }));
    assert.equal(tracker.size, 1);
    assert.equal(tracker.reserve('c', 1), false, 'a slot while the job runs');
    finish();
    stop.abort();
    await done;
    assert.equal(tracker.size, 0);
  });

  it('reserves nothing once it stops accepting work', async () => {
    const { tracker, stop, done } = running();
    stop.abort();
    await done;
    assert.equal(tracker.reserve('a', 4), false);
  });

  it('remembers every job it started until the checkpoint is forgotten, so a claim runs once', async () => {
    const { tracker, stop, done } = running();
    assert.ok(tracker.reserve('a', 1));
    assert.equal(tracker.begunBefore('a'), false, 'a reservation is not a run');
    tracker.start('a', () => Promise.resolve());
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(tracker.has('a'), false);
    assert.equal(tracker.begunBefore('a'), true, 'an ended job is still remembered');
    tracker.forget('a');
    assert.equal(tracker.begunBefore('a'), false);
    stop.abort();
    await done;
  });
});
