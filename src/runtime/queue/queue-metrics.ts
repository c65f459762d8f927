// What a work queue reports, independent of how it is exported. The
// Prometheus side lives in metrics/workqueue-metrics.ts.

export interface WorkQueueMetricsSink {
  /** An add was accepted (counted even if it was deduplicated, as client-go does). */
  added(): void;
  depth(depth: number): void;
  /** An item was handed to a worker after waiting this long in the queue. */
  queued(seconds: number): void;
  /** A worker finished an item after this long. */
  worked(seconds: number): void;
  /** An item was scheduled for a later retry (addAfter / addRateLimited). */
  retried(): void;
}

export const noopWorkQueueMetrics: WorkQueueMetricsSink = {
  added: () => undefined,
  depth: () => undefined,
  queued: () => undefined,
  worked: () => undefined,
  retried: () => undefined,
};

/** Gauges read at scrape time rather than pushed. */
export interface WorkQueueGauges {
  /** Seconds of work in progress not yet observed by worked(). */
  unfinishedWorkSeconds(): number;
  /** Age in seconds of the oldest item being processed. */
  longestRunningProcessorSeconds(): number;
}
