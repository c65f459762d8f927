// The agent's reconciler, for the checkpoints handed to its node: reserve a
// slot, claim the checkpoint (a resourceVersion-guarded status write, so it
// is claimed once), run it as a job, and on deletion stop any dump of it and
// remove its files before letting the finalizer go.
import { isFinished, outcomeOf } from '../../api/checkpoint-state.ts';
import { conditionTypes, readyReasons } from '../../api/conditions.ts';
import { archiveFinalizer, resources } from '../../api/names.ts';
import type { ReconcileContext, Reconciler, ReconcileResult } from '../../runtime/controller/reconciler.ts';
import type { CacheReader } from '../../runtime/informer/object-cache.ts';
import { removeFinalizer } from '../../runtime/objects/finalizers.ts';
import { StatusWriter } from '../../runtime/objects/status-writer.ts';
import { removeCheckpointFiles } from './cleanup.ts';
import { runCheckpointJob, type JobDeps } from './checkpoint-job.ts';
import type { JobTracker } from './job-tracker.ts';
import { claimed } from './status-builders.ts';
import type { Ckpt } from './status-updater.ts';

export interface AgentReconcilerDeps extends JobDeps {
  checkpoints: CacheReader<Ckpt>;
  jobs: JobTracker;
  maxConcurrent: number;
}

export class AgentReconciler implements Reconciler {
  private readonly d: AgentReconcilerDeps;
  private readonly status: StatusWriter;

  constructor(d: AgentReconcilerDeps) {
    this.d = d;
    this.status = new StatusWriter(d.client, { fieldManager: 'ckpt-agent' });
  }

  async reconcile(ctx: ReconcileContext, key: string): Promise<ReconcileResult | undefined> {
    const cached = this.d.checkpoints.get(key);
    if (cached === undefined) return undefined;
    const c = structuredClone(cached);
    const uid = c.metadata.uid ?? key;
    if (c.metadata.deletionTimestamp !== undefined) {
      await this.d.jobs.cancel(uid, 'the ContainerCheckpoint is being deleted');
      this.d.jobs.forget(uid);
      if ((c.metadata.finalizers ?? []).includes(archiveFinalizer)) {
        const removed = await removeCheckpointFiles(this.d.root, c);
        await removeFinalizer(this.d.client, resources.containerCheckpoints, c, archiveFinalizer, ctx.signal);
        ctx.logger.info({ removed }, 'archive removed');
      }
      return undefined;
    }
    if (c.status?.nodeName !== this.d.nodeName) return undefined;
    if (isFinished(c)) {
      // A checkpoint failed elsewhere (AgentLost, DeadlineExceeded) may have
      // left partial files of an earlier agent of this node.
      if (outcomeOf(c) === 'failed' && !this.d.jobs.has(uid)) await removeCheckpointFiles(this.d.root, c);
      this.d.jobs.forget(uid);
      return undefined;
    }
    if (c.status.agent !== undefined) {
      // Our own claim that no job of ours ran: the claim landed but its
      // response was lost (the API server went away after committing it).
      // The identity is this process's, so nothing was dumped for it yet.
      const lostResponse = c.status.agent.identity === this.d.identity && !this.d.jobs.begunBefore(uid);
      if (!lostResponse) return undefined;
      if (!this.d.jobs.reserve(uid, this.d.maxConcurrent)) return { requeueAfterMs: 500 };
      ctx.logger.info('running a claim whose response was lost');
      this.d.jobs.start(uid, (signal) => runCheckpointJob(this.d, c, signal));
      return undefined;
    }
    const ready = c.status.conditions?.find((x) => x.type === conditionTypes.ready);
    if (ready?.reason !== readyReasons.pending) return undefined;
    if (!this.d.jobs.reserve(uid, this.d.maxConcurrent)) return { requeueAfterMs: this.d.jobs.accepts() ? 500 : 1000 };
    let mine: Ckpt;
    try {
      mine = await this.status.update(resources.containerCheckpoints, { ...c, status: claimed(c, this.d.identity, this.d.now()) }, ctx.signal);
    } catch (err) {
      this.d.jobs.release(uid);
      throw err;
    }
    ctx.logger.info('claimed');
    this.d.jobs.start(uid, (signal) => runCheckpointJob(this.d, mine, signal));
    return undefined;
  }
}
