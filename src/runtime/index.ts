// The controller runtime: everything a reconciler or a node agent needs from
// Kubernetes, and nothing about what they reconcile.
export { systemClock, sleep, type Clock, type Timer } from './clock.ts';
export { FakeClock } from './fake-clock.ts';
export { Backoff, type BackoffOptions } from './backoff.ts';

export type { KubeObject, KubeList, ObjectMeta, OwnerReference, Status, WatchEvent, WatchEventType } from './kube/object.ts';
export { apiVersionOf, coreResources, resourcePath, type ResourceType } from './kube/resource.ts';
export { keyOf, objectKey, parseKey, type ObjectName } from './kube/object-key.ts';
export { ApiError, ConflictError, isAlreadyExists, isApiError, isConflict, isExpired, isNotFound } from './kube/api-error.ts';
export { formatMicroTime, formatTime, parseTime } from './kube/micro-time.ts';
export { KubeClient, type KubeClientOptions, type ListOptions, type PatchType, type ResponseRecord } from './kube/kube-client.ts';
export { loadKubeConfig } from './kube/kubeconfig.ts';

export { ObjectCache, type CacheReader, type IndexFunc } from './informer/object-cache.ts';
export { Informer, type InformerHandlers, type InformerOptions, type InformerStats, type ListWatchClient } from './informer/informer.ts';
export { InformerFactory, type SharedInformerOptions } from './informer/informer-factory.ts';

export { WorkQueue, type WorkQueueOptions } from './queue/work-queue.ts';
export { DelayingQueue } from './queue/delaying-queue.ts';
export { RateLimitingQueue, type RateLimitingQueueOptions } from './queue/rate-limiting-queue.ts';
export {
  defaultControllerRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, TokenBucketRateLimiter,
  type ControllerRateLimitOptions, type RateLimiter,
} from './queue/rate-limiters.ts';
export type { WorkQueueGauges, WorkQueueMetricsSink } from './queue/queue-metrics.ts';

export { LeaderElector, LeadershipLostError, type LeaderElectionTiming, type LeaderElectorOptions, type LeadershipEnd } from './leader/leader-elector.ts';
export { defaultIdentity } from './leader/identity.ts';
export type { Lease, LeaseSpec } from './leader/lease-lock.ts';

export { EventRecorder, toReference, type EventRecorderOptions, type EventSpec, type EventType, type KubeEvent, type ObjectReference } from './events/event-recorder.ts';

export {
  conditionsEqual, findCondition, isConditionTrue, removeCondition, setCondition, validateConditionUpdate,
  type Condition, type ConditionStatus, type ConditionUpdate,
} from './objects/conditions.ts';
export { addFinalizer, hasFinalizer, removeFinalizer } from './objects/finalizers.ts';
export { AlreadyOwnedError, controllerReference, getControllerOf, isControlledBy, withControllerReference } from './objects/owner-references.ts';
export { StatusWriter, type StatusWriterOptions } from './objects/status-writer.ts';

export { Controller, type ControllerOptions, type WatchOptions } from './controller/controller.ts';
export { TerminalError, type ReconcileContext, type Reconciler, type ReconcileResult } from './controller/reconciler.ts';
export type { RunContext, Runnable } from './controller/runnable.ts';

export { runtimeMetrics, Registry, type RuntimeMetrics } from './metrics/runtime-metrics.ts';
export { ControllerMetrics } from './metrics/controller-metrics.ts';
export { WorkQueueMetrics } from './metrics/workqueue-metrics.ts';
export { LeaderElectionMetrics } from './metrics/leader-election-metrics.ts';
export { HealthServer, type Check, type HealthServerOptions } from './health/health-server.ts';

export { createLogger, errorFields, logLevels, silentLogger, type Logger, type LoggerOptions, type LogLevel } from './logging/logger.ts';

export { defineOptions, envName, flagName, type ConfigOf, type OptionSet, type OptionSpec } from './config/options.ts';
export { ConfigError, HelpRequested, loadConfig, usage, type ConfigSource, type LoadConfigOptions, type LoadedConfig } from './config/load-config.ts';
export { formatDuration, parseDuration } from './config/duration.ts';
export { commonOptions, leaderElectionOptions } from './config/runtime-options.ts';

export { shutdownSignal, type ShutdownSignal, type ShutdownSignalOptions } from './lifecycle/shutdown-signal.ts';
export { Manager, type ManagerLeaderElection, type ManagerOptions } from './manager/manager.ts';
