// Which pods a run covers, against a real control plane: a
// ClusterCheckpointSchedule across namespaces chosen by label, pods that are
// not running, a run over 200 pods, and the opt-in policy, which the
// checkpoint controller enforces on what a schedule creates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionOf } from '../../src/api/checkpoint-state.ts';
import { resources, scheduleKindLabel, scheduleRunLabel } from '../../src/api/names.ts';
import type { KubeObject } from '../../src/runtime/kube/object.ts';
import { coreResources } from '../../src/runtime/kube/resource.ts';
import { eventually, nextInstant, runOf, schedule, iso, scheduleSuite, type ClusterSched } from '../support/schedule-env.ts';

describe('schedule pod selection', () => {
  const e = scheduleSuite();

  it('a ClusterCheckpointSchedule checkpoints the selected pods of the namespaces its namespaceSelector selects', async () => {
    for (const ns of ['team-a', 'team-b', 'team-c']) {
      await e().namespace(ns, { tier: 'gold' });
      await e().pods(ns, ['db-0'], { labels: { app: 'db' } });
      await e().pods(ns, ['web-0'], { labels: { app: 'web' } });
    }
    await e().pods('team-b', ['db-1'], { labels: { app: 'db' }, phase: 'Pending' });
    await e().namespace('team-d', { tier: 'bronze' });
    await e().pods('team-d', ['db-0'], { labels: { app: 'db' } });
    const c = await e().startController();
    const created = await e().createClusterSchedule({
      apiVersion: 'ckpt.dev/v1alpha1', kind: 'ClusterCheckpointSchedule', metadata: { name: 'gold-dbs' },
      spec: {
        schedule: '*/5 * * * *', namespaceSelector: { matchLabels: { tier: 'gold' } }, podSelector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { team: 'platform' } }, spec: { timeoutSeconds: 3600 } },
      },
    });
    const t1 = nextInstant(c.clock.now(), 5);
    const get = (): Promise<ClusterSched> => e().admin.get<ClusterSched>(resources.clusterCheckpointSchedules, 'gold-dbs');
    await eventually('the schedule to be seen', async () => (await get()).status?.nextScheduleTime === iso(t1));
    await c.advanceTo(t1);

    const list = await eventually('checkpoints in three namespaces', async () => {
      const all = await e().checkpoints({ schedule: 'gold-dbs' });
      return all.length === 3 ? all : undefined;
    });
    assert.deepEqual(list.map((x) => `${x.metadata.namespace ?? ''}/${x.spec.podName}`).sort(), ['team-a/db-0', 'team-b/db-0', 'team-c/db-0']);
    for (const x of list) {
      assert.equal(x.metadata.labels?.[scheduleKindLabel], 'ClusterCheckpointSchedule');
      assert.equal(x.metadata.labels[scheduleRunLabel], runOf(t1));
      assert.equal(x.metadata.labels.team, 'platform');
      assert.deepEqual(x.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid]), [['ClusterCheckpointSchedule', 'gold-dbs', created.metadata.uid]]);
    }
    const s = await eventually('status after the run', async () => {
      const x = await get();
      return x.status?.lastScheduleTime === iso(t1) ? x : undefined;
    });
    assert.deepEqual(s.status?.active?.map((a) => a.namespace).sort(), ['team-a', 'team-b', 'team-c']);

    // Events about a cluster-scoped object live in "default".
    const skipped = await eventually('the PodNotRunning event', async () => (await e().events('default', 'gold-dbs')).find((x) => x.reason === 'PodNotRunning'));
    assert.equal(skipped.type, 'Warning');
    assert.match(skipped.note ?? '', new RegExp(`Run ${runOf(t1)} \\(scheduled ${iso(t1)}\\): left out 1 pod \\(team-b/db-1\\): Pod team-b/db-1 is Pending, not Running`));
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_pods_skipped_total', { kind: 'ClusterCheckpointSchedule', reason: 'PodNotRunning' }), 1);
    const createdEvent = await eventually('the SuccessfulCreate event', async () => (await e().events('default', 'gold-dbs')).find((x) => x.reason === 'SuccessfulCreate'));
    assert.match(createdEvent.note ?? '', /: 3 ContainerCheckpoints$/);

    // A namespace that gains the label is in the next run; one that loses it is not.
    await e().cluster.kubectlOk(['label', 'namespace', 'team-d', 'tier=gold', '--overwrite']);
    await e().cluster.kubectlOk(['label', 'namespace', 'team-c', 'tier=silver', '--overwrite']);
    // The run reads namespaces from the controller's cache: let the changes arrive there first.
    const namespaces = c.manager.informers.informer<KubeObject>(coreResources.namespaces).cache;
    await eventually('the namespace cache to see the new labels', () =>
      namespaces.get('team-d')?.metadata?.labels?.tier === 'gold' && namespaces.get('team-c')?.metadata?.labels?.tier === 'silver');
    const t2 = new Date(t1.getTime() + 5 * 60_000);
    await c.advanceTo(t2);
    const second = await eventually('the second run', async () => {
      const all = (await e().checkpoints({ schedule: 'gold-dbs' })).filter((x) => x.metadata.labels?.[scheduleRunLabel] === runOf(t2));
      return all.length === 3 ? all : undefined;
    });
    assert.deepEqual(second.map((x) => x.metadata.namespace).sort(), ['team-a', 'team-b', 'team-d']);
  });

  it('a run over 200 selected pods creates a checkpoint for every one, in bounded batches', async () => {
    const ns = 'many';
    await e().namespace(ns);
    const names = Array.from({ length: 200 }, (_, i) => `worker-${String(i).padStart(3, '0')}`);
    await e().pods(ns, names, { labels: { app: 'worker' } });
    // 200 is not a multiple of 30: the last batch is a short one.
    const c = await e().startController({ config: { maxCreatesPerRun: 30 } });
    await e().createSchedule(schedule(ns, 'fleet', { schedule: '*/5 * * * *', podSelector: { matchLabels: { app: 'worker' } } }));
    const t1 = nextInstant(c.clock.now(), 5);
    await eventually('the schedule to be seen', async () => (await e().getSchedule(ns, 'fleet')).status?.nextScheduleTime === iso(t1));
    await c.advanceTo(t1);
    const list = await eventually('200 checkpoints', async () => {
      const all = await e().checkpoints({ namespace: ns, schedule: 'fleet' });
      return all.length === 200 ? all : undefined;
    }, 60_000);
    assert.deepEqual(list.map((x) => x.spec.podName).sort(), names);
    assert.ok(list.every((x) => x.metadata.labels?.[scheduleRunLabel] === runOf(t1)));
    const s = await eventually('status listing all 200 as active', async () => {
      const x = await e().getSchedule(ns, 'fleet');
      return x.status?.lastScheduleTime === iso(t1) && x.status.active?.length === 200 ? x : undefined;
    });
    assert.equal(s.status?.nextScheduleTime, iso(t1.getTime() + 5 * 60_000));
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_checkpoints_created_total', { kind: 'CheckpointSchedule' }), 200);
    const created = await eventually('the SuccessfulCreate event', async () => (await e().events(ns, 'fleet')).find((x) => x.reason === 'SuccessfulCreate'));
    assert.match(created.note ?? '', /: 200 ContainerCheckpoints$/);
  });

  it('creates checkpoints in namespaces that have not opted in; the checkpoint controller fails them NotPermitted', async () => {
    await e().namespace('optin-no');
    await e().namespace('optin-yes', { 'ckpt.dev/checkpoints': 'enabled' });
    for (const ns of ['optin-no', 'optin-yes']) await e().pods(ns, ['app-0'], { labels: { app: 'x' } });
    const c = await e().startController({ config: { optInRequired: true } });
    await e().createClusterSchedule({
      apiVersion: 'ckpt.dev/v1alpha1', kind: 'ClusterCheckpointSchedule', metadata: { name: 'optin' },
      spec: { schedule: '*/5 * * * *', namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['optin-no', 'optin-yes'] }] }, podSelector: {},
        template: { spec: { timeoutSeconds: 3600 } },
      },
    });
    const t1 = nextInstant(c.clock.now(), 5);
    await eventually('the schedule to be seen', async () => (await e().admin.get<ClusterSched>(resources.clusterCheckpointSchedules, 'optin')).status?.nextScheduleTime === iso(t1));
    await c.advanceTo(t1);
    const refused = await eventually('the checkpoint of optin-no to fail NotPermitted', async () => {
      const [x] = await e().checkpoints({ namespace: 'optin-no', schedule: 'optin' });
      return x !== undefined && conditionOf(x, 'Failed')?.reason === 'NotPermitted' ? x : undefined;
    });
    assert.match(conditionOf(refused, 'Failed')?.message ?? '', /checkpoints are not enabled for pod optin-no\/app-0/);
    const [allowed] = await e().checkpoints({ namespace: 'optin-yes', schedule: 'optin' });
    assert.ok(allowed !== undefined);
    assert.equal(conditionOf(allowed, 'Failed'), undefined);
    // The run counts as failed once it is over; it is not over while optin-yes waits for an agent.
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_runs_finished_total', {}), 0);
  });
});
