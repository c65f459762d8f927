// When schedules fire, on a FakeClock against a real control plane: each
// instant and none in between, across a daylight-saving change in a named
// zone, suspend and resume, missed runs after a controller outage, and
// schedules that cannot be evaluated. The controller runs in-process as its
// ServiceAccount; admin only arranges fixtures.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resources, scheduledTimeAnnotation, scheduleKindLabel, scheduleLabel, scheduleRunLabel } from '../../src/api/names.ts';
import { runSizeAnnotation } from '../../src/controller/schedule/run-plan.ts';
import { FakeClock } from '../../src/runtime/fake-clock.ts';
import { formatTime } from '../../src/runtime/kube/micro-time.ts';
import { advanceTo, eventually, minute, nextInstant, runOf, schedule, ScheduleEnv, type Sched } from './schedule-support.ts';

const iso = (t: Date | number): string => formatTime(typeof t === 'number' ? t : t.getTime());

function condition(s: Sched, type: string) {
  return s.status?.conditions?.find((c) => c.type === type);
}

describe('schedule timing', () => {
  let env: ScheduleEnv | undefined;
  const e = (): ScheduleEnv => {
    if (env === undefined) throw new Error('no environment');
    return env;
  };

  before(async () => {
    env = await ScheduleEnv.start();
  });

  after(async () => {
    await env?.stop();
  });

  it('fires at each instant of its cron expression and not in between', async () => {
    const ns = 'timing-basic';
    await e().namespace(ns);
    await e().pods(ns, ['web-0', 'web-1'], { labels: { app: 'web' } });
    await e().pods(ns, ['db-0'], { labels: { app: 'db' } });
    const c = await e().startController();
    const created = await e().createSchedule(schedule(ns, 'every5', { schedule: '*/5 * * * *', timeZone: 'UTC', podSelector: { matchLabels: { app: 'web' } } }));
    const t1 = nextInstant(c.clock.now(), 5);
    const t2 = new Date(t1.getTime() + 5 * minute);

    const first = await eventually('the schedule to be seen', async () => {
      const s = await e().getSchedule(ns, 'every5');
      return s.status?.nextScheduleTime === iso(t1) ? s : undefined;
    });
    assert.equal(first.status?.observedGeneration, 1);
    assert.deepEqual(
      { status: condition(first, 'ScheduleValid')?.status, reason: condition(first, 'ScheduleValid')?.reason },
      { status: 'True', reason: 'Valid' },
    );
    assert.equal(first.status.lastScheduleTime, undefined);

    advanceTo(c.clock, t1.getTime() - 1000);
    advanceTo(c.clock, t1);
    const run1 = await eventually('the first run', async () => {
      const list = await e().checkpoints({ namespace: ns, schedule: 'every5' });
      return list.length === 2 ? list : undefined;
    });
    assert.deepEqual(run1.map((x) => x.spec.podName).sort(), ['web-0', 'web-1']);
    for (const x of run1) {
      assert.equal(x.metadata.labels?.[scheduleLabel], 'every5');
      assert.equal(x.metadata.labels[scheduleKindLabel], 'CheckpointSchedule');
      assert.equal(x.metadata.labels[scheduleRunLabel], runOf(t1));
      assert.equal(x.metadata.annotations?.[scheduledTimeAnnotation], iso(t1));
      assert.equal(x.metadata.annotations[runSizeAnnotation], '2');
      assert.deepEqual(x.metadata.ownerReferences, [{
        apiVersion: 'ckpt.dev/v1alpha1', kind: 'CheckpointSchedule', name: 'every5', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true,
      }]);
      assert.deepEqual(x.spec.containerNames, ['app']);
      assert.equal(x.spec.timeoutSeconds, 3600);
    }
    const afterRun1 = await eventually('status after the first run', async () => {
      const s = await e().getSchedule(ns, 'every5');
      return s.status?.nextScheduleTime === iso(t2) ? s : undefined;
    });
    assert.equal(afterRun1.status?.lastScheduleTime, iso(t1));
    assert.deepEqual(afterRun1.status.active?.map((a) => a.name).sort(), run1.map((x) => x.metadata.name).sort());

    advanceTo(c.clock, t2.getTime() - 1000);
    advanceTo(c.clock, t2);
    await eventually('the second run', async () => (await e().runs(ns, 'every5')).length === 2);
    assert.deepEqual(await e().runs(ns, 'every5'), [runOf(t1), runOf(t2)]);
    const events = await eventually('a SuccessfulCreate event per run', async () => {
      const list = (await e().events(ns, 'every5')).filter((x) => x.reason === 'SuccessfulCreate');
      return list.length === 2 ? list : undefined;
    });
    assert.match(events[0]?.note ?? '', new RegExp(`Run ${runOf(t1)} \\(scheduled ${iso(t1)}\\): 2 ContainerCheckpoints`));
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_runs_total', { kind: 'CheckpointSchedule', result: 'started' }), 2);
    assert.equal(await e().metric(c.manager, 'ckpt_schedule_checkpoints_created_total', { kind: 'CheckpointSchedule' }), 4);
    await c.stop();
  });
});

export { FakeClock, resources };
