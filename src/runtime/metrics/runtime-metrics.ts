// The runtime's metrics on a registry the caller owns. Created once per
// registry (prom-client refuses a second metric of the same name), so tests
// that each make their own Registry never collide.
import { Registry } from 'prom-client';
import { ControllerMetrics } from './controller-metrics.ts';
import { LeaderElectionMetrics } from './leader-election-metrics.ts';
import { WorkQueueMetrics } from './workqueue-metrics.ts';

export interface RuntimeMetrics {
  readonly registry: Registry;
  readonly controller: ControllerMetrics;
  readonly workqueue: WorkQueueMetrics;
  readonly leaderElection: LeaderElectionMetrics;
}

const byRegistry = new WeakMap<Registry, RuntimeMetrics>();

export function runtimeMetrics(registry: Registry): RuntimeMetrics {
  let m = byRegistry.get(registry);
  if (m === undefined) {
    m = {
      registry,
      controller: new ControllerMetrics(registry),
      workqueue: new WorkQueueMetrics(registry),
      leaderElection: new LeaderElectionMetrics(registry),
    };
    byRegistry.set(registry, m);
  }
  return m;
}

export { Registry };
