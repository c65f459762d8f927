// Which pods may be checkpointed at all. A checkpoint copies a process's
// memory, secrets included, so by default only pods whose namespace (or the
// pod itself) carries the opt-in label chosen by the cluster admin qualify.
// The switch lives in the operator's configuration, never in the request.
export interface OptInPolicy {
  /** When false, every pod qualifies (clusters that restrict the feature with RBAC alone). */
  required: boolean;
  /** Label key, on the namespace or the pod, that opts in. */
  label: string;
  /** Value the label must have. */
  value: string;
}

export const defaultOptInPolicy: OptInPolicy = { required: true, label: 'ckpt.dev/checkpoints', value: 'enabled' };

export type Verdict = { permitted: true } | { permitted: false; message: string };

export function optInVerdict(policy: OptInPolicy, namespace: { name: string; labels?: Record<string, string> },
  pod: { name: string; labels?: Record<string, string> } | undefined): Verdict {
  if (!policy.required) return { permitted: true };
  if (namespace.labels?.[policy.label] === policy.value) return { permitted: true };
  if (pod?.labels?.[policy.label] === policy.value) return { permitted: true };
  return {
    permitted: false,
    message: `checkpoints are not enabled for ${pod === undefined ? `namespace ${namespace.name}` : `pod ${namespace.name}/${pod.name}`}: ` +
      `the cluster admin opts namespaces or pods in with the label ${policy.label}=${policy.value}`,
  };
}
