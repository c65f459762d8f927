import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Controller } from '../../../src/runtime/controller/controller.ts';
import { TerminalError, type ReconcileContext, type Reconciler } from '../../../src/runtime/controller/reconciler.ts';
import { ConflictError } from '../../../src/runtime/kube/api-error.ts';
import { runtimeMetrics } from '../../../src/runtime/metrics/runtime-metrics.ts';
import { ItemExponentialFailureRateLimiter } from '../../../src/runtime/queue/rate-limiters.ts';

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? Number.NaN;
}

function start(c: Controller): { stop: AbortController; abort: AbortController; done: Promise<void> } {
  const stop = new AbortController();
  const abort = new AbortController();
  return { stop, abort, done: c.run({ stop: stop.signal, abort: abort.signal }) };
}

describe('Controller', () => {
  it('reconciles keys and counts results', async () => {
    const registry = new Registry();
    const seen: string[] = [];
    const c = new Controller({
      name: 'demo', workers: 2, metrics: runtimeMetrics(registry),
      reconciler: { reconcile: (ctx, key) => { seen.push(`${ctx.namespace ?? ''}|${ctx.name}|${key}`); return Promise.resolve(); } },
    });
    const r = start(c);
    c.enqueue('ns/a');
    c.enqueue('cluster-thing');
    await until('both reconciled', () => seen.length === 2);
    r.stop.abort();
    await r.done;
    assert.deepEqual(seen.sort(), ['ns|a|ns/a', '|cluster-thing|cluster-thing']);
    assert.equal(await metricValue(registry, 'controller_runtime_reconcile_total', { controller: 'demo', result: 'success' }), 2);
  });

  it('requeues errors with backoff, survives throwing reconcilers of every kind, and forgets on success', async () => {
    const registry = new Registry();
    let calls = 0;
    const retriesSeen: number[] = [];
    const reconciler: Reconciler = {
      reconcile(ctx: ReconcileContext) {
        calls++;
        retriesSeen.push(ctx.retries);
        if (calls === 1) throw new Error('synchronous throw');
        if (calls === 2) return Promise.reject(new Error('rejected'));
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- proving non-Error throws are survived
        if (calls === 3) throw 'a string';
        if (calls === 4) return Promise.reject(new TypeError('a bug'));
        return Promise.resolve();
      },
    };
    const c = new Controller({ name: 'flaky', metrics: runtimeMetrics(registry), reconciler, rateLimiter: new ItemExponentialFailureRateLimiter(1, 50) });
    const r = start(c);
    c.enqueue('ns/x');
    await until('success after four failures', () => calls === 5);
    await until('forgotten', () => c.queue.numRequeues('ns/x') === 0);
    r.stop.abort();
    await r.done;
    assert.deepEqual(retriesSeen, [0, 1, 2, 3, 4]);
    assert.equal(await metricValue(registry, 'controller_runtime_reconcile_errors_total', { controller: 'flaky' }), 4);
    assert.equal(await metricValue(registry, 'controller_runtime_reconcile_panics_total', { controller: 'flaky' }), 1);
    assert.equal(await metricValue(registry, 'controller_runtime_reconcile_total', { controller: 'flaky', result: 'error' }), 4);
    assert.equal(await metricValue(registry, 'workqueue_retries_total', { name: 'flaky' }), 4);
  });

  it('turns a conflict into a requeue, not an error', async () => {
    const registry = new Registry();
    let calls = 0;
    const c = new Controller({
      name: 'cas', metrics: runtimeMetrics(registry), rateLimiter: new ItemExponentialFailureRateLimiter(1, 10),
      reconciler: { reconcile: () => (++calls === 1 ? Promise.reject(new ConflictError('PUT', '/x', undefined, 'changed')) : Promise.resolve()) },
    });
    const r = start(c);
    c.enqueue('ns/a');
    await until('second attempt', () => calls === 2);
    r.stop.abort();
    await r.done;
    assert.equal(await metricValue(registry, 'controller_runtime_reconcile_total', { controller: 'cas', result: 'requeue' }), 1);
    assert.equal(await metricValue(registry, 'controller_runtime_reconcile_errors_total', { controller: 'cas' }), 0);
  });

  it('does not retry terminal errors and honours requeueAfter and requeue', async () => {
    const registry = new Registry();
    const calls = new Map<string, number>();
    const c = new Controller({
      name: 'results', metrics: runtimeMetrics(registry), rateLimiter: new ItemExponentialFailureRateLimiter(1, 10),
      reconciler: {
        reconcile: (_ctx, key) => {
          const n = (calls.get(key) ?? 0) + 1;
          calls.set(key, n);
          if (key === 'ns/terminal') return Promise.reject(new TerminalError('cannot ever work'));
          if (key === 'ns/later' && n === 1) return Promise.resolve({ requeueAfterMs: 30 });
          if (key === 'ns/again' && n === 1) return Promise.resolve({ requeue: true });
          return Promise.resolve(undefined);
        },
      },
    });
    const r = start(c);
    for (const k of ['ns/terminal', 'ns/later', 'ns/again']) c.enqueue(k);
    await until('requeued keys ran twice', () => calls.get('ns/later') === 2 && calls.get('ns/again') === 2);
    await new Promise((res) => setTimeout(res, 50));
    r.stop.abort();
    await r.done;
    assert.equal(calls.get('ns/terminal'), 1);
    assert.equal(await metricValue(registry, 'controller_runtime_reconcile_total', { controller: 'results', result: 'requeue_after' }), 1);
    assert.equal(await metricValue(registry, 'controller_runtime_reconcile_total', { controller: 'results', result: 'requeue' }), 1);
  });

  it('never runs one key on two workers at once', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const c = new Controller({
      name: 'serial', workers: 8,
      reconciler: {
        reconcile: async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((res) => setTimeout(res, 5));
          running--;
          runs++;
        },
      },
    });
    const r = start(c);
    for (let i = 0; i < 20; i++) {
      c.enqueue('ns/same');
      await new Promise((res) => setTimeout(res, 1));
    }
    await until('queue idle', () => c.queue.len() === 0 && c.queue.inFlight() === 0);
    r.stop.abort();
    await r.done;
    assert.equal(maxRunning, 1);
    assert.ok(runs >= 2 && runs <= 20, `runs=${runs}`);
  });

  it('on stop finishes reconciles in progress and takes no new keys; on abort aborts their signal', async () => {
    let release: () => void = () => undefined;
    const started: string[] = [];
    let sawAbort = false;
    const c = new Controller({
      name: 'drain', workers: 1,
      reconciler: {
        reconcile: async (ctx, key) => {
          started.push(key);
          if (key === 'ns/slow') {
            await new Promise<void>((res) => { release = res; ctx.signal.addEventListener('abort', () => { sawAbort = true; res(); }); });
          }
        },
      },
    });
    const r = start(c);
    c.enqueue('ns/slow');
    await until('slow started', () => started.length === 1);
    c.enqueue('ns/queued');
    r.stop.abort();
    let finished = false;
    void r.done.then(() => { finished = true; });
    await new Promise((res) => setTimeout(res, 20));
    assert.equal(finished, false, 'waits for the reconcile in progress');
    release();
    await r.done;
    assert.deepEqual(started, ['ns/slow'], 'the queued key was not started after stop');
    assert.equal(sawAbort, false);

    const c2 = new Controller({
      name: 'abort', reconciler: {
        reconcile: (ctx) => new Promise<void>((res) => { ctx.signal.addEventListener('abort', () => { sawAbort = true; res(); }); }),
      },
    });
    const r2 = start(c2);
    c2.enqueue('ns/x');
    await until('reconcile in progress', () => c2.queue.inFlight() === 1);
    r2.abort.abort();
    await r2.done;
    assert.equal(sawAbort, true);
  });
});
