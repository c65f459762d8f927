import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Controller } from '../../../src/runtime/controller/controller.ts';
import { runtimeMetrics } from '../../../src/runtime/metrics/runtime-metrics.ts';

describe('runtime metrics', () => {
  it('exports controller-runtime\'s metric names with their labels', async () => {
    const registry = new Registry();
    const metrics = runtimeMetrics(registry);
    new Controller({ name: 'checkpoint', reconciler: { reconcile: () => Promise.resolve() }, metrics, workers: 3 });
    metrics.leaderElection.leading('ckpt-controller', true);
    const text = await registry.metrics();
    for (const line of [
      'controller_runtime_reconcile_total{controller="checkpoint",result="success"} 0',
      'controller_runtime_reconcile_total{controller="checkpoint",result="error"} 0',
      'controller_runtime_reconcile_total{controller="checkpoint",result="requeue"} 0',
      'controller_runtime_reconcile_total{controller="checkpoint",result="requeue_after"} 0',
      'controller_runtime_reconcile_errors_total{controller="checkpoint"} 0',
      'controller_runtime_max_concurrent_reconciles{controller="checkpoint"} 3',
      'controller_runtime_active_workers{controller="checkpoint"} 0',
      'workqueue_depth{name="checkpoint",controller="checkpoint"} 0',
      'workqueue_adds_total{name="checkpoint",controller="checkpoint"} 0',
      'workqueue_retries_total{name="checkpoint",controller="checkpoint"} 0',
      'workqueue_unfinished_work_seconds{name="checkpoint",controller="checkpoint"} 0',
      'workqueue_longest_running_processor_seconds{name="checkpoint",controller="checkpoint"} 0',
      'leader_election_master_status{name="ckpt-controller"} 1',
    ]) assert.ok(text.includes(line), `missing: ${line}`);
    for (const name of ['controller_runtime_reconcile_time_seconds', 'workqueue_queue_duration_seconds', 'workqueue_work_duration_seconds']) {
      assert.match(text, new RegExp(`# TYPE ${name} histogram`));
    }
  });

  it('keeps registries apart and reuses metrics on the same registry', () => {
    const a = new Registry();
    const b = new Registry();
    assert.equal(runtimeMetrics(a), runtimeMetrics(a));
    assert.notEqual(runtimeMetrics(a), runtimeMetrics(b));
    // A second controller on the same registry must not re-register metrics.
    new Controller({ name: 'one', reconciler: { reconcile: () => Promise.resolve() }, metrics: runtimeMetrics(a) });
    new Controller({ name: 'two', reconciler: { reconcile: () => Promise.resolve() }, metrics: runtimeMetrics(a) });
  });
});
