// Options every component built on the runtime shares. Components spread these
// into their own option set: defineOptions({ ...commonOptions, workers: ... }).
import { logLevels } from '../logging/logger.ts';
import { defineOptions } from './options.ts';

export const commonOptions = defineOptions({
  kubeconfig: { type: 'string', description: 'kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)' },
  logLevel: { type: 'enum', values: logLevels, default: 'info', description: 'log level' },
  healthPort: { type: 'integer', min: 0, max: 65535, default: 8081, description: 'port of /healthz, /readyz and /metrics (0: any free port)' },
  healthHost: { type: 'string', default: '0.0.0.0', description: 'address of /healthz, /readyz and /metrics' },
  gracefulShutdownTimeout: { type: 'duration', default: '30s', description: 'how long in-flight work may take to finish on SIGTERM' },
});

export const leaderElectionOptions = defineOptions({
  leaderElect: { type: 'boolean', default: true, description: 'elect a leader so that one replica works at a time' },
  leaderElectionNamespace: { type: 'string', description: 'namespace of the leader Lease (default: the pod\'s namespace)' },
  leaderElectionId: { type: 'string', description: 'name of the leader Lease' },
  leaseDuration: { type: 'duration', default: '15s', min: '1s', description: 'how long a leader\'s lease is honoured without renewal' },
  renewDeadline: { type: 'duration', default: '10s', description: 'how long a leader retries renewing before it stops leading' },
  retryPeriod: { type: 'duration', default: '2s', description: 'pause between leader election attempts' },
});
