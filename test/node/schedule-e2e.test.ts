// A schedule end to end with the real agent: two runs, driven by the test's
// clock, produce archives on the node; retention (keepLast 1) deletes the
// older checkpoint, and through the agent's finalizer its archive leaves the
// disk.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { outcomeOf } from '../../src/api/checkpoint-state.ts';
import { FakeClock } from '../../src/runtime/fake-clock.ts';
import { TestNode } from '../support/node.ts';
import { startAgent, type OperatorProcess } from '../support/operator.ts';
import { startPod } from '../support/pods.ts';
import { eventually, nextInstant, schedule, ScheduleEnv, type Ckpt, type RunningController } from '../support/schedule-env.ts';

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

describe('schedule with the real agent', () => {
  let env: ScheduleEnv;
  let node: TestNode;
  let agent: OperatorProcess;
  let controller: RunningController;
  const ns = 'nightly';

  before(async () => {
    [env, node] = await Promise.all([ScheduleEnv.start(), TestNode.start()]);
    await env.namespace(ns, { 'ckpt.dev/checkpoints': 'enabled' });
    await startPod(env.cluster, node, { namespace: ns, name: 'db', nodeName: 'node-1', labels: { app: 'db' }, containers: [{ name: 'app', args: ['/bin/workload', 'mem', '8'] }] });
    agent = await startAgent(env.cluster, node, { nodeName: 'node-1' });
    controller = await env.startController({ clock: new FakeClock(Math.floor(Date.now() / 1000) * 1000), config: { optInRequired: true, agentWait: 60_000 } });
  });
  after(async () => {
    await agent.stop();
    await env.stop();
    await node.stop();
  });

  const finishedOf = async (): Promise<Ckpt[]> => (await env.checkpoints({ namespace: ns, schedule: 'db-every-5m' })).filter((c) => outcomeOf(c) !== undefined);
  const archiveOf = (c: Ckpt): string => join(node.info.share, 'archives', c.status?.containers?.[0]?.archive?.path ?? 'missing');

  it('writes an archive per run and retention removes the older one from disk', async () => {
    await env.createSchedule(schedule(ns, 'db-every-5m', { schedule: '*/5 * * * *', podSelector: { matchLabels: { app: 'db' } }, retention: { keepLast: 1 } }));
    const first = nextInstant(controller.clock.now(), 5, 1000);
    await controller.advanceTo(first);
    const [run1] = await eventually('the first run to finish', async () => {
      const done = await finishedOf();
      return done.length === 1 ? done : undefined;
    }, 120_000);
    assert.ok(run1 !== undefined);
    assert.equal(outcomeOf(run1), 'succeeded', JSON.stringify(run1.status));
    const archive1 = archiveOf(run1);
    assert.ok(await exists(archive1), `${archive1} on the node`);

    await controller.advanceTo(new Date(first.getTime() + 5 * 60_000));
    const run2 = await eventually('the second run to finish and the first to be deleted', async () => {
      const all = await env.checkpoints({ namespace: ns, schedule: 'db-every-5m' });
      const done = all.filter((c) => outcomeOf(c) !== undefined);
      return all.length === 1 && done.length === 1 && done[0]?.metadata.name !== run1.metadata.name ? done[0] : undefined;
    }, 120_000);
    assert.equal(outcomeOf(run2), 'succeeded');
    assert.ok(await exists(archiveOf(run2)), 'the newer archive stays');
    assert.equal(await exists(archive1), false, 'retention removed the older archive from the node');
  });
});
