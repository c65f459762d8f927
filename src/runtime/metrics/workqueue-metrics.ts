// client-go workqueue metrics under controller-runtime's names and labels
// (name and controller both carry the queue's name).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { WorkQueueGauges, WorkQueueMetricsSink } from '../queue/queue-metrics.ts';

type QueueLabel = 'name' | 'controller';

// prometheus.ExponentialBuckets(10e-9, 10, 12): 10 ns .. 1000 s.
const durationBuckets = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

export class WorkQueueMetrics {
  private readonly depth: Gauge<QueueLabel>;
  private readonly adds: Counter<QueueLabel>;
  private readonly latency: Histogram<QueueLabel>;
  private readonly workDuration: Histogram<QueueLabel>;
  private readonly retries: Counter<QueueLabel>;
  private readonly sources = new Map<string, WorkQueueGauges>();

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames: QueueLabel[] = ['name', 'controller'];
    this.depth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames, registers });
    this.adds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames, registers });
    this.latency = new Histogram({
      name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames, buckets: durationBuckets, registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes.',
      labelNames, buckets: durationBuckets, registers,
    });
    this.retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames, registers });
    const sources = this.sources;
    // Read at scrape time: they describe work in progress, not events.
    new Gauge<QueueLabel>({
      name: 'workqueue_unfinished_work_seconds',
      help: 'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration. '
        + 'Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.',
      labelNames, registers,
      collect() {
        for (const [name, g] of sources) this.set({ name, controller: name }, g.unfinishedWorkSeconds());
      },
    });
    new Gauge<QueueLabel>({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames, registers,
      collect() {
        for (const [name, g] of sources) this.set({ name, controller: name }, g.longestRunningProcessorSeconds());
      },
    });
  }

  /** Where the queue called name reports its events. */
  sink(name: string): WorkQueueMetricsSink {
    const labels = { name, controller: name };
    const depth = this.depth.labels(labels);
    const adds = this.adds.labels(labels);
    const latency = this.latency.labels(labels);
    const work = this.workDuration.labels(labels);
    const retries = this.retries.labels(labels);
    depth.set(0);
    adds.inc(0);
    retries.inc(0);
    return {
      added: () => { adds.inc(); },
      depth: (n) => { depth.set(n); },
      queued: (s) => { latency.observe(s); },
      worked: (s) => { work.observe(s); },
      retried: () => { retries.inc(); },
    };
  }

  /** Reads the in-flight gauges of the queue called name at every scrape. */
  trackInFlight(name: string, gauges: WorkQueueGauges): void {
    this.sources.set(name, gauges);
  }
}
