// Every reason the controller refuses a checkpoint with, on a real control
// plane, with the controller running as its ServiceAccount: each refusal ends
// with Failed=True/<Reason>, Ready=False/CheckpointFailed, a completion time
// and a Warning event, and is never handed to an agent (no node label, no
// finalizer, no claim), although a live agent (the double) serves the node.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContainerCheckpointSpec } from '../../src/api/container-checkpoint.ts';
import { archiveFinalizer, nodeLabel } from '../../src/api/names.ts';
import { AgentDouble } from '../support/agent-double.ts';
import { createApiPod, createNamespace, ensureNode } from '../support/api-pods.ts';
import type { OperatorProcess } from '../support/operator.ts';
import {
  conditionsOf, createCkpt, failedReason, startQuickController, startSuite, waitForEvent, waitForOutcome, type Suite,
} from './checkpoint-support.ts';

describe('checkpoint refusals', () => {
  let s: Suite;
  let controller: OperatorProcess;
  let agent: AgentDouble;
  const ns = 'shop';
  const closed = 'closed';

  before(async () => {
    s = await startSuite();
    await createNamespace(s.admin, ns);
    await createNamespace(s.admin, closed, false);
    await ensureNode(s.admin, 'node-1');
    await ensureNode(s.admin, 'node-2');
    await Promise.all([
      createApiPod(s.admin, { namespace: ns, name: 'unscheduled', containers: [{ name: 'app' }] }),
      createApiPod(s.admin, { namespace: ns, name: 'done', nodeName: 'node-1', phase: 'Succeeded', containers: [{ name: 'app', state: 'terminated' }] }),
      createApiPod(s.admin, {
        namespace: ns, name: 'mixed', nodeName: 'node-1',
        containers: [{ name: 'app' }, { name: 'created', state: 'created' }, { name: 'waiting', state: 'waiting' }, { name: 'ended', state: 'terminated' }, { name: 'starting', unreported: true }],
      }),
      createApiPod(s.admin, { namespace: ns, name: 'docker', nodeName: 'node-1', containers: [{ name: 'app', runtime: 'docker' }] }),
      createApiPod(s.admin, { namespace: ns, name: 'agentless', nodeName: 'node-2', containers: [{ name: 'app' }] }),
      createApiPod(s.admin, { namespace: closed, name: 'web', nodeName: 'node-1', containers: [{ name: 'app' }] }),
      createApiPod(s.admin, { namespace: closed, name: 'opted', nodeName: 'node-1', labels: { 'ckpt.dev/checkpoints': 'enabled' }, containers: [{ name: 'app' }] }),
    ]);
    agent = await AgentDouble.start({ nodeName: 'node-1', kubeconfig: s.agentConfig });
    controller = await startQuickController(s);
  });
  after(async () => {
    await Promise.allSettled([controller.stop(), agent.stop()]);
    await s.stop();
  });

  const cases: { name: string; namespace?: string; spec: ContainerCheckpointSpec; reason: string; message: RegExp }[] = [
    { name: 'pod-not-found', spec: { podName: 'ghost' }, reason: 'PodNotFound', message: /pod shop\/ghost not found/ },
    { name: 'pod-not-scheduled', spec: { podName: 'unscheduled' }, reason: 'PodNotScheduled', message: /not scheduled/ },
    { name: 'pod-not-running', spec: { podName: 'done' }, reason: 'PodNotRunning', message: /Succeeded, not Running/ },
    { name: 'unknown-container', spec: { podName: 'mixed', containerNames: ['nope'] }, reason: 'UnknownContainer', message: /no container named nope/ },
    { name: 'container-created', spec: { podName: 'mixed', containerNames: ['created'] }, reason: 'ContainerNotRunning', message: /container created is created, not running/ },
    { name: 'container-waiting', spec: { podName: 'mixed', containerNames: ['waiting'] }, reason: 'ContainerNotRunning', message: /waiting \(CrashLoopBackOff\)/ },
    { name: 'container-terminated', spec: { podName: 'mixed', containerNames: ['ended'] }, reason: 'ContainerNotRunning', message: /terminated \(Completed\)/ },
    { name: 'container-unreported', spec: { podName: 'mixed', containerNames: ['app', 'starting'] }, reason: 'ContainerNotRunning', message: /container starting is not started/ },
    { name: 'unsupported-runtime', spec: { podName: 'docker' }, reason: 'UnsupportedRuntime', message: /runs on docker/ },
    { name: 'no-ready-agent', spec: { podName: 'agentless' }, reason: 'NoReadyAgent', message: /no ready agent on node node-2/ },
    { name: 'not-permitted', namespace: closed, spec: { podName: 'web' }, reason: 'NotPermitted', message: /ckpt\.dev\/checkpoints=enabled/ },
  ];

  for (const c of cases) {
    it(`refuses with ${c.reason} (${c.name})`, async () => {
      const namespace = c.namespace ?? ns;
      await createCkpt(s.admin, namespace, c.name, c.spec);
      const done = await waitForOutcome(s.admin, namespace, c.name);
      assert.equal(failedReason(done), c.reason, JSON.stringify(done.status));
      assert.deepEqual(conditionsOf(done), { Ready: 'False/CheckpointFailed', Failed: `True/${c.reason}` });
      const failed = done.status?.conditions?.find((x) => x.type === 'Failed');
      assert.match(failed?.message ?? '', c.message);
      assert.ok(done.status?.completionTime !== undefined);
      assert.equal(done.status.agent, undefined);
      // Never handed off: nothing routes it to a node or holds it for an agent.
      assert.equal(done.metadata.labels?.[nodeLabel], undefined);
      assert.ok(!(done.metadata.finalizers ?? []).includes(archiveFinalizer));
      assert.equal(done.status.nodeName, undefined);
      const ev = await waitForEvent(s.admin, namespace, c.name, c.reason);
      assert.equal(ev.type, 'Warning');
      assert.equal(ev.reportingController, 'ckpt.dev/controller');
      assert.equal(agent.claimsOf(done.metadata.uid ?? ''), 0);
    });
  }

  it('waits for an agent before NoReadyAgent, saying so', async () => {
    await createCkpt(s.admin, ns, 'waits', { podName: 'agentless' });
    const done = await waitForOutcome(s.admin, ns, 'waits');
    const created = new Date(done.metadata.creationTimestamp ?? 0).getTime();
    const completed = new Date(done.status?.completionTime ?? 0).getTime();
    // --agent-wait=4s; timestamps have whole seconds.
    assert.ok(completed - created >= 3000, `failed after ${completed - created} ms, before the agent wait`);
  });

  it('lets a pod opt in by its own label in a namespace that did not', async () => {
    await createCkpt(s.admin, closed, 'opted', { podName: 'opted' });
    const done = await waitForOutcome(s.admin, closed, 'opted');
    assert.deepEqual(conditionsOf(done), { Ready: 'True/CheckpointCompleted', Succeeded: 'True/CheckpointCompleted' });
  });

  it('made no claim on any refused checkpoint', () => {
    assert.equal(agent.counts.claims, 1, JSON.stringify(agent.claims));
  });
});
