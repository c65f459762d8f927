import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { ContainerCheckpoint } from '../../../src/api/container-checkpoint.ts';
import type { AgentPresence } from '../../../src/controller/checkpoint/agent-lease.ts';
import { agentPresence } from '../../../src/controller/checkpoint/agent-lease.ts';
import { decide, type Decision } from '../../../src/controller/checkpoint/decide.ts';

const t0 = new Date('2026-11-26T12:00:00Z');
const at = (s: number): Date => new Date(t0.getTime() + s * 1000);
const iso = (s: number): string => at(s).toISOString();

const pod: V1Pod = {
  metadata: { name: 'web', namespace: 'shop', uid: 'pod-uid' },
  spec: { nodeName: 'n1', containers: [{ name: 'app' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'app', containerID: 'containerd://c1', state: { running: {} }, image: 'i', imageID: 'i', ready: true, restartCount: 0 }] },
};

function ckpt(status?: ContainerCheckpoint['status'], spec: Partial<ContainerCheckpoint['spec']> = {}): ContainerCheckpoint {
  return {
    apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint',
    metadata: { name: 'c', namespace: 'shop', creationTimestamp: iso(0) },
    spec: { podName: 'web', timeoutSeconds: 60, ...spec }, status,
  };
}

const live: AgentPresence = { identity: 'agent-a', expires: at(1000) };
// null: no live agent / no pod (undefined would pick the default).
const run = (c: ContainerCheckpoint, now: number, agent: AgentPresence | null = live, p: V1Pod | null = pod): Decision =>
  decide({ ckpt: c, pod: p ?? undefined, agent: () => agent ?? undefined, now: at(now) }, { agentWaitSeconds: 30, deadlineGraceSeconds: 15 });

const cond = (type: string, status: string, reason: string, time = iso(0)) => ({ type, status: status as 'True', reason, message: '', lastTransitionTime: time });

describe('decide', () => {
  it('hands a fresh checkpoint to the node with a live agent', () => {
    const d = run(ckpt(), 1);
    assert.ok(d.kind === 'handoff', d.kind);
    assert.ok(d.nodeName === 'n1' && d.podUID === 'pod-uid' && d.targets[0]?.containerID === 'containerd://c1');
  });
  it('refuses what resolution refuses', () => {
    const d = run(ckpt(), 1, live, null);
    assert.deepEqual(d.kind === 'fail' ? d.reason : d.kind, 'PodNotFound');
  });
  it('refuses an invalid spec that reached it', () => {
    const d = run(ckpt(undefined, { options: { pageServer: { address: 'x' } } }), 1);
    assert.equal(d.kind === 'fail' ? d.reason : d.kind, 'InvalidSpec');
  });
  it('waits for an agent, then fails NoReadyAgent', () => {
    assert.equal(run(ckpt(), 10, null).kind, 'wait');
    const d = run(ckpt(), 31, null);
    assert.equal(d.kind === 'fail' ? d.reason : d.kind, 'NoReadyAgent');
  });
  it('waits at most the checkpoint timeout for an agent', () => {
    const d = run(ckpt(undefined, { timeoutSeconds: 5 }), 6, null);
    assert.equal(d.kind === 'fail' ? d.reason : d.kind, 'NoReadyAgent');
  });
  const handed = { nodeName: 'n1', conditions: [cond('Ready', 'False', 'Pending', iso(2))] };
  it('leaves a handed-off checkpoint queued at a live agent', () => {
    assert.equal(run(ckpt(handed), 1000).kind, 'requeue');
  });
  it('fails a handed-off checkpoint when the node has no live agent', () => {
    const d0 = run(ckpt(handed), 10, null);
    assert.ok(d0.kind === 'requeue' && d0.afterMs === 22_000);
    const d = run(ckpt(handed), 33, null);
    assert.equal(d.kind === 'fail' ? d.reason : d.kind, 'NoReadyAgent');
  });
  it('refuses a pod that has not opted in', () => {
    const d = decide({ ckpt: ckpt(), pod, agent: () => live, now: at(1), permission: { permitted: false, message: 'not enabled' } });
    assert.ok(d.kind === 'fail' && d.reason === 'NotPermitted' && d.message === 'not enabled');
  });
  const claimed = { ...handed, agent: { identity: 'agent-a', claimTime: iso(3) }, startTime: iso(3) };
  it('keeps a claimed checkpoint while its agent lives', () => {
    assert.equal(run(ckpt(claimed), 20).kind, 'requeue');
  });
  it('fails AgentLost when the claimant stops renewing', () => {
    const d = run(ckpt(claimed), 20, null);
    assert.equal(d.kind === 'fail' ? d.reason : d.kind, 'AgentLost');
  });
  it('fails AgentLost when another agent took the node', () => {
    const d = run(ckpt(claimed), 20, { identity: 'agent-b', expires: at(100) });
    assert.ok(d.kind === 'fail' && d.reason === 'AgentLost' && d.message.includes('agent-b'));
  });
  it('fails DeadlineExceeded after timeout plus grace', () => {
    assert.equal(run(ckpt(claimed), 3 + 60 + 14).kind, 'requeue');
    const d = run(ckpt(claimed), 3 + 60 + 15);
    assert.equal(d.kind === 'fail' ? d.reason : d.kind, 'DeadlineExceeded');
  });
  const done = { ...claimed, completionTime: iso(10), conditions: [cond('Succeeded', 'True', 'CheckpointCompleted')] };
  it('leaves a finished checkpoint alone without a TTL', () => {
    assert.equal(run(ckpt(done), 1000).kind, 'none');
  });
  it('deletes a finished checkpoint after its TTL', () => {
    assert.ok(run(ckpt(done, { ttlSecondsAfterFinished: 30 }), 20).kind === 'requeue');
    assert.equal(run(ckpt(done, { ttlSecondsAfterFinished: 30 }), 40).kind, 'delete');
  });
  it('does nothing while the checkpoint is being deleted', () => {
    const c = ckpt(claimed);
    c.metadata.deletionTimestamp = iso(5);
    assert.equal(run(c, 1000, null).kind, 'none');
  });
});

describe('agentPresence', () => {
  it('is the holder until renewTime + duration', () => {
    const lease = { spec: { holderIdentity: 'a', renewTime: at(0), leaseDurationSeconds: 15 } };
    assert.equal(agentPresence(lease, at(14))?.identity, 'a');
    assert.equal(agentPresence(lease, at(15)), undefined);
    assert.equal(agentPresence({ spec: { renewTime: at(0), leaseDurationSeconds: 15 } }, at(1)), undefined);
    assert.equal(agentPresence(undefined, at(1)), undefined);
  });
});
