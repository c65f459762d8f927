// What the controller does next with a ContainerCheckpoint, from what the
// cache shows: the checkpoint, its pod and the agent Lease of the pod's node.
// Pure and clock-injected, so every branch has a unit test; the reconciler
// only carries the decision out.
import type { V1Pod } from '@kubernetes/client-node';
import { isFinished } from '../../api/checkpoint-state.ts';
import { conditionTypes, failureReasons, readyReasons, type FailureReason } from '../../api/conditions.ts';
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';
import { specErrors } from '../../api/checks.ts';
import { formatErrors } from '../../api/validate.ts';
import type { Verdict } from '../../policy/opt-in.ts';
import type { AgentPresence } from './agent-lease.ts';
import { resolveTargets, type Target } from './resolve-targets.ts';

export interface DecideConfig {
  /** How long a checkpoint waits for a node's agent before NoReadyAgent. */
  agentWaitSeconds: number;
  /** Slack on top of timeoutSeconds before the controller declares DeadlineExceeded (the agent enforces the timeout itself first). */
  deadlineGraceSeconds: number;
}

export const defaultDecideConfig: DecideConfig = { agentWaitSeconds: 30, deadlineGraceSeconds: 15 };

export type Decision =
  | { kind: 'none' }
  | { kind: 'requeue'; afterMs: number }
  | { kind: 'wait'; message: string; afterMs: number }
  | { kind: 'fail'; reason: FailureReason; message: string }
  | { kind: 'handoff'; nodeName: string; podUID: string; targets: Target[] }
  | { kind: 'delete'; why: string };

export interface Observed {
  ckpt: ContainerCheckpoint;
  pod: V1Pod | undefined;
  /** Live agent of the node the checkpoint is (or would be) handed to. */
  agent: (nodeName: string) => AgentPresence | undefined;
  /** The opt-in policy's verdict on the pod (undefined: not checked here). */
  permission?: Verdict;
  now: Date;
}


function since(t: string | undefined, now: Date): number {
  return t === undefined ? 0 : now.getTime() - new Date(t).getTime();
}

const timeoutMs = (c: ContainerCheckpoint): number => (c.spec.timeoutSeconds ?? 120) * 1000;

function finished(c: ContainerCheckpoint, now: Date): Decision {
  const ttl = c.spec.ttlSecondsAfterFinished;
  if (ttl === undefined) return { kind: 'none' };
  const left = ttl * 1000 - since(c.status?.completionTime, now);
  return left <= 0 ? { kind: 'delete', why: `ttlSecondsAfterFinished (${ttl}) passed` } : { kind: 'requeue', afterMs: left };
}

function claimed(c: ContainerCheckpoint, o: Observed, cfg: DecideConfig): Decision {
  const claim = c.status?.agent;
  const node = c.status?.nodeName ?? '';
  const agent = o.agent(node);
  if (claim !== undefined && (agent === undefined || agent.identity !== claim.identity)) {
    return {
      kind: 'fail', reason: failureReasons.agentLost,
      message: agent === undefined
        ? `the agent ${claim.identity} on node ${node} stopped renewing its lease while the checkpoint was in progress`
        : `the agent ${claim.identity} on node ${node} was replaced by ${agent.identity} while the checkpoint was in progress`,
    };
  }
  const deadline = timeoutMs(c) + cfg.deadlineGraceSeconds * 1000 - since(c.status?.startTime ?? claim?.claimTime, o.now);
  if (deadline <= 0) {
    return { kind: 'fail', reason: failureReasons.deadlineExceeded, message: `not finished within timeoutSeconds (${c.spec.timeoutSeconds ?? 120})` };
  }
  const leaseLeft = agent === undefined ? deadline : agent.expires.getTime() - o.now.getTime();
  return { kind: 'requeue', afterMs: Math.max(100, Math.min(deadline, leaseLeft + 100)) };
}

function handedOff(c: ContainerCheckpoint, o: Observed, cfg: DecideConfig): Decision {
  const node = c.status?.nodeName ?? '';
  // A live agent claims when it has a free slot: queued work at a live agent
  // waits. Only a node without a live agent fails the checkpoint.
  if (o.agent(node) !== undefined) return { kind: 'requeue', afterMs: cfg.agentWaitSeconds * 1000 };
  const pending = (c.status?.conditions ?? []).find((x) => x.type === conditionTypes.ready && x.reason === readyReasons.pending);
  const waited = since(pending?.lastTransitionTime, o.now);
  const limit = Math.min(timeoutMs(c), cfg.agentWaitSeconds * 1000);
  if (waited >= limit) {
    return {
      kind: 'fail', reason: failureReasons.noReadyAgent,
      message: `no ready agent on node ${node} claimed the checkpoint within ${Math.round(limit / 1000)}s`,
    };
  }
  return { kind: 'requeue', afterMs: limit - waited };
}

function fresh(c: ContainerCheckpoint, o: Observed, cfg: DecideConfig): Decision {
  const errors = specErrors(c);
  if (errors.length > 0) return { kind: 'fail', reason: failureReasons.invalidSpec, message: formatErrors(errors) };
  if (o.permission !== undefined && !o.permission.permitted) return { kind: 'fail', reason: failureReasons.notPermitted, message: o.permission.message };
  const r = resolveTargets(c.spec, c.metadata.namespace ?? '', o.pod);
  if (!r.ok) return { kind: 'fail', reason: r.reason, message: r.message };
  if (o.agent(r.nodeName) !== undefined) return { kind: 'handoff', nodeName: r.nodeName, podUID: r.podUID, targets: r.targets };
  const limit = Math.min(timeoutMs(c), cfg.agentWaitSeconds * 1000);
  const waited = since(c.metadata.creationTimestamp, o.now);
  if (waited >= limit) {
    return { kind: 'fail', reason: failureReasons.noReadyAgent, message: `no ready agent on node ${r.nodeName} within ${Math.round(limit / 1000)}s; is the ckpt-agent DaemonSet running there?` };
  }
  return { kind: 'wait', message: `waiting for the agent on node ${r.nodeName}`, afterMs: Math.min(limit - waited, 2000) };
}

export function decide(o: Observed, cfg: DecideConfig = defaultDecideConfig): Decision {
  const c = o.ckpt;
  if (c.metadata.deletionTimestamp !== undefined) return { kind: 'none' };
  if (isFinished(c)) return finished(c, o.now);
  if (c.status?.agent !== undefined) return claimed(c, o, cfg);
  if (c.status?.nodeName !== undefined && c.status.nodeName !== '') return handedOff(c, o, cfg);
  return fresh(c, o, cfg);
}
