// 500 ContainerCheckpoints created at once, on a real control plane with the
// controller under its ServiceAccount and five agent doubles: every one
// reaches a terminal state (successes, the agents' own failures, and
// refusals), each handed-off one is claimed exactly once, no step is written
// twice, and the controller's metrics count each outcome once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isFinished, outcomeOf } from '../../src/api/checkpoint-state.ts';
import { AgentDouble } from '../support/agent-double.ts';
import { createApiPods, createNamespace, ensureNode } from '../support/api-pods.ts';
import { CheckpointHistory } from '../support/checkpoint-history.ts';
import { metricSum, metricsPort, scrape } from '../support/metrics.ts';
import type { OperatorProcess } from '../support/operator.ts';
import {
  createCkpts, failedReason, listCkpts, startQuickController, startSuite, type Suite, waitFor,
} from './checkpoint-support.ts';

const nodes = ['node-1', 'node-2', 'node-3', 'node-4', 'node-5'];
const ns = 'shop';
const total = 500;

describe('500 checkpoints at once', () => {
  let s: Suite;
  let controller: OperatorProcess;
  let history: CheckpointHistory;
  const doubles: AgentDouble[] = [];

  before(async () => {
    s = await startSuite();
    await createNamespace(s.admin, ns);
    for (const n of nodes) await ensureNode(s.admin, n);
    await createApiPods(s.admin, nodes.flatMap((nodeName) => Array.from({ length: 20 }, (_, i) => ({ namespace: ns, name: `web-${nodeName}-${i}`, nodeName, containers: [{ name: 'app' }] }))));
    history = await CheckpointHistory.start(s.adminConfig);
    for (const nodeName of nodes) {
      doubles.push(await AgentDouble.start({
        nodeName, kubeconfig: s.agentConfig, maxConcurrent: 4,
        failWith: (c) => (c.metadata.name?.endsWith('-fail') === true ? { reason: 'CriuFailed', message: 'criu dump failed' } : undefined),
      }));
    }
    controller = await startQuickController(s, ['--agent-wait=300s', '--log-level=info']);
  });
  after(async () => {
    await Promise.allSettled([controller.stop(), history.stop(), ...doubles.map((d) => d.stop())]);
    await s.stop();
  });

  it('brings every one to a terminal state, each claimed once', async () => {
    const items = Array.from({ length: total }, (_, i) => {
      const kind = i % 20 === 0 ? 'refused' : i % 20 === 1 ? 'fail' : 'ok';
      const podName = kind === 'refused' ? `ghost-${i}` : `web-${nodes[i % nodes.length] ?? ''}-${Math.floor(i / nodes.length) % 20}`;
      return { namespace: ns, name: `ck-${i}-${kind}`, spec: { podName, timeoutSeconds: 600 } };
    });
    await createCkpts(s.admin, items, 64);
    const all = await waitFor(`${total} checkpoints to finish`, async () => {
      const list = await listCkpts(s.admin, ns);
      return list.length === total && list.every(isFinished) ? list : undefined;
    }, 600_000, 1000).catch(async (err: unknown) => {
      const open = (await listCkpts(s.admin, ns)).filter((c) => !isFinished(c));
      throw new Error(`${(err as Error).message}: ${open.length} unfinished, e.g. ${JSON.stringify(open.slice(0, 3).map((c) => [c.metadata.name, c.status]))}`);
    });
    const by = (suffix: string): typeof all => all.filter((c) => c.metadata.name?.endsWith(suffix) === true);
    assert.equal(by('-ok').length, 450);
    assert.deepEqual(by('-ok').filter((c) => outcomeOf(c) !== 'succeeded').map((c) => `${c.metadata.name ?? ''}: ${failedReason(c) ?? ''}`), []);
    assert.ok(by('-fail').every((c) => failedReason(c) === 'CriuFailed'));
    assert.ok(by('-refused').every((c) => failedReason(c) === 'PodNotFound'));
    const claims = doubles.flatMap((d) => d.claims);
    assert.equal(claims.length, 475);
    assert.equal(new Set(claims.map((c) => c.uid)).size, 475, 'a checkpoint was claimed twice');
    assert.deepEqual(history.allViolations(), []);
    const port = await metricsPort(controller);
    await waitFor('the controller to count every outcome once', async () => {
      const m = await scrape(port);
      return metricSum(m, 'ckpt_checkpoints_total') === total ? m : undefined;
    }, 30_000, 500).then((m) => {
      assert.equal(metricSum(m, 'ckpt_checkpoints_total', { result: 'succeeded' }), 450);
      assert.equal(metricSum(m, 'ckpt_checkpoints_total', { result: 'failed', reason: 'CriuFailed' }), 25);
      assert.equal(metricSum(m, 'ckpt_checkpoints_total', { result: 'failed', reason: 'PodNotFound' }), 25);
      assert.equal(metricSum(m, 'controller_runtime_reconcile_errors_total', { controller: 'containercheckpoint' }), 0);
    });
  });
});
