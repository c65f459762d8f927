// The controller's configuration: flags, CKPT_ environment variables, or a
// YAML file (--config), in that order of precedence.
import { commonOptions, leaderElectionOptions } from '../runtime/config/runtime-options.ts';
import { defineOptions } from '../runtime/config/options.ts';

export const controllerOptions = defineOptions({
  ...commonOptions,
  ...leaderElectionOptions,
  namespace: { type: 'string', default: 'ckpt-system', description: 'namespace of the operator: its leader Lease and the agents\' Leases' },
  workers: { type: 'integer', default: 4, min: 1, max: 64, description: 'concurrent reconciles per controller' },
  agentWait: { type: 'duration', default: '30s', min: '1s', description: 'how long a checkpoint waits for a ready agent on its node before NoReadyAgent' },
  deadlineGrace: { type: 'duration', default: '15s', description: 'slack on top of a checkpoint\'s timeoutSeconds before DeadlineExceeded' },
  optInRequired: { type: 'boolean', default: true, description: 'checkpoint only pods whose namespace or pod carries the opt-in label' },
  optInLabel: { type: 'string', default: 'ckpt.dev/checkpoints=enabled', description: 'the opt-in label, as key=value', validate: (v) => (/^[^=]+=[^=]*$/.test(v) ? undefined : 'want key=value') },
  scheduleTimeZone: { type: 'string', default: 'UTC', description: 'time zone of schedules that set none' },
  maxCreatesPerRun: { type: 'integer', default: 50, min: 1, max: 1000, description: 'ContainerCheckpoints a schedule run creates at once' },
  informerWatchdog: { type: 'duration', default: '3m', description: 'restart a watch that has been silent this long' },
});
