// The agent's configuration: flags, CKPT_ environment variables, or a YAML
// file (--config), in that order of precedence.
import { commonOptions } from '../runtime/config/runtime-options.ts';
import { defineOptions } from '../runtime/config/options.ts';

export const agentOptions = defineOptions({
  ...commonOptions,
  healthPort: { ...commonOptions.healthPort, default: 8082 },
  nodeName: { type: 'string', default: '', description: 'the node this agent serves (set from spec.nodeName in the DaemonSet)' },
  namespace: { type: 'string', default: 'ckpt-system', description: 'namespace of the agents\' Leases' },
  archiveRoot: { type: 'string', default: '/var/lib/ckpt-operator/checkpoints', description: 'where archives are written; must be root-owned and not world-writable' },
  containerdRuncRoot: { type: 'string', default: '/run/containerd/runc/k8s.io', description: 'runc root of containerd\'s Kubernetes containers' },
  crioRuncRoot: { type: 'string', default: '/run/runc', description: 'runc root of CRI-O\'s containers' },
  maxConcurrentCheckpoints: { type: 'integer', default: 2, min: 1, max: 32, description: 'checkpoints run at once on this node' },
  criuCommand: { type: 'list', default: ['criu'], description: 'argv that runs CRIU (swrk 3 is appended)' },
  criuEnv: { type: 'list', default: [], description: 'KEY=VALUE pairs for CRIU\'s environment (CRIU_FAULT=130 on VMs without hardware breakpoints)' },
  criuLogLevel: { type: 'integer', default: 4, min: 0, max: 4, description: 'CRIU log level for dump.log' },
  gzipLevel: { type: 'integer', default: 1, min: 1, max: 9, description: 'gzip level of Gzip archives' },
  zstdLevel: { type: 'integer', default: 3, min: 1, max: 19, description: 'zstd level of Zstd archives' },
  pageServerAllowlist: { type: 'list', default: [], description: 'CIDRs CRIU may stream memory pages to; empty refuses every page server' },
  pageServerPorts: { type: 'list', default: [], description: 'ports allowed for page servers; empty allows any port in the allowed CIDRs' },
  leaseDuration: { type: 'duration', default: '15s', min: '1s', description: 'how long the node Lease is honoured without renewal' },
  renewDeadline: { type: 'duration', default: '10s', description: 'how long the agent retries renewing before it stops serving' },
  retryPeriod: { type: 'duration', default: '2s', description: 'pause between Lease attempts' },
});
