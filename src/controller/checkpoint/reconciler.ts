// The ContainerCheckpoint reconciler: reads the world from the shared caches,
// asks decide() what to do, and does it with resourceVersion-guarded writes.
// A conflict just means someone (the agent, usually) wrote first: the
// runtime requeues and the next round decides again from fresh data.
import type { V1Pod } from '@kubernetes/client-node';
import { conditionTypes, failureReasons, readyReasons } from '../../api/conditions.ts';
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';
import { archiveFinalizer, nodeLabel, resources } from '../../api/names.ts';
import { optInVerdict, type OptInPolicy, type Verdict } from '../../policy/opt-in.ts';
import type { ReconcileContext, Reconciler, ReconcileResult } from '../../runtime/controller/reconciler.ts';
import type { EventRecorder } from '../../runtime/events/event-recorder.ts';
import type { CacheReader } from '../../runtime/informer/object-cache.ts';
import { isNotFound } from '../../runtime/kube/api-error.ts';
import type { KubeClient } from '../../runtime/kube/kube-client.ts';
import type { KubeObject } from '../../runtime/kube/object.ts';
import { coreResources } from '../../runtime/kube/resource.ts';
import { setCondition } from '../../runtime/objects/conditions.ts';
import { removeFinalizer } from '../../runtime/objects/finalizers.ts';
import { StatusWriter } from '../../runtime/objects/status-writer.ts';
import { agentLeaseName, agentPresence, type AgentLease } from './agent-lease.ts';
import { decide, type DecideConfig, type Decision } from './decide.ts';

/** Failures that rest on the agent's Lease alone. */
const agentVerdicts: ReadonlySet<string> = new Set([failureReasons.agentLost, failureReasons.noReadyAgent]);

export interface CheckpointReconcilerDeps {
  client: KubeClient;
  checkpoints: CacheReader<ContainerCheckpoint & KubeObject>;
  pods: CacheReader<V1Pod & KubeObject>;
  leases: CacheReader<AgentLease & KubeObject>;
  nodes: CacheReader<KubeObject>;
  namespaces: CacheReader<KubeObject>;
  /** Namespace of the agents' Leases. */
  agentNamespace: string;
  events: EventRecorder;
  optIn: OptInPolicy;
  config: DecideConfig;
  now?: () => Date;
}

type Ckpt = ContainerCheckpoint & KubeObject;

export class CheckpointReconciler implements Reconciler {
  private readonly d: CheckpointReconcilerDeps;
  private readonly status: StatusWriter;
  private readonly now: () => Date;

  constructor(deps: CheckpointReconcilerDeps) {
    this.d = deps;
    this.status = new StatusWriter(deps.client, { fieldManager: 'ckpt-controller' });
    this.now = deps.now ?? (() => new Date());
  }

  async reconcile(ctx: ReconcileContext, key: string): Promise<ReconcileResult | undefined> {
    const cached = this.d.checkpoints.get(key);
    if (cached === undefined) return undefined;
    const ckpt = structuredClone(cached);
    if (ckpt.metadata.deletionTimestamp !== undefined) {
      await this.releaseFinalizer(ctx, ckpt);
      return undefined;
    }
    const ns = ckpt.metadata.namespace ?? '';
    const pod = this.d.pods.get(`${ns}/${ckpt.spec.podName}`);
    const permission = this.permission(ns, pod);
    const cachedLease = (node: string): AgentLease | undefined => this.d.leases.get(`${this.d.agentNamespace}/${agentLeaseName(node)}`);
    let now = this.now();
    let decision = decide({ ckpt, pod, now, permission, agent: (node) => agentPresence(cachedLease(node), now) }, this.d.config);
    if (decision.kind === 'fail' && agentVerdicts.has(decision.reason)) {
      // Failing is final, and the Lease cache can lag behind the agent's
      // renewals (a watch reconnecting after an API server restart, say):
      // judge the agent by the Lease as the server has it now.
      const node = ckpt.status?.nodeName ?? pod?.spec?.nodeName ?? '';
      const live = await this.readLease(node, ctx.signal);
      now = this.now();
      decision = decide({ ckpt, pod, now, permission, agent: (n) => agentPresence(n === node ? live : cachedLease(n), now) }, this.d.config);
    }
    return this.carryOut(ctx, ckpt, decision, now);
  }

  private async readLease(node: string, signal: AbortSignal): Promise<AgentLease | undefined> {
    if (node === '') return undefined;
    try {
      return await this.d.client.get<AgentLease & KubeObject>(coreResources.leases, agentLeaseName(node), this.d.agentNamespace, signal);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private permission(namespace: string, pod: V1Pod | undefined): Verdict {
    const nsObj = this.d.namespaces.get(namespace);
    return optInVerdict(this.d.optIn, { name: namespace, labels: nsObj?.metadata?.labels ?? {} },
      pod === undefined ? undefined : { name: pod.metadata?.name ?? '', labels: pod.metadata?.labels ?? {} });
  }

  private async carryOut(ctx: ReconcileContext, c: Ckpt, d: Decision, now: Date): Promise<ReconcileResult | undefined> {
    const t = now.getTime();
    const gen = c.metadata.generation;
    const status = c.status ?? {};
    switch (d.kind) {
      case 'none':
        return undefined;
      case 'requeue':
        return { requeueAfterMs: d.afterMs };
      case 'wait': {
        const conditions = setCondition(status.conditions, { type: conditionTypes.ready, status: 'False', reason: readyReasons.pending, message: d.message, observedGeneration: gen }, t);
        if (JSON.stringify(conditions) !== JSON.stringify(status.conditions)) {
          await this.status.update(resources.containerCheckpoints, { ...c, status: { ...status, observedGeneration: gen, conditions } }, ctx.signal);
        }
        return { requeueAfterMs: d.afterMs };
      }
      case 'fail': {
        let conditions = setCondition(status.conditions, { type: conditionTypes.ready, status: 'False', reason: readyReasons.failed, message: d.message, observedGeneration: gen }, t);
        conditions = setCondition(conditions, { type: conditionTypes.failed, status: 'True', reason: d.reason, message: d.message, observedGeneration: gen }, t);
        const completionTime = now.toISOString();
        const started = status.startTime ?? status.agent?.claimTime;
        await this.status.update(resources.containerCheckpoints, {
          ...c, status: {
            ...status, observedGeneration: gen, conditions, completionTime,
            ...(started !== undefined ? { durationMillis: Math.max(0, t - new Date(started).getTime()) } : {}),
          },
        }, ctx.signal);
        ctx.logger.info({ reason: d.reason }, `checkpoint failed: ${d.message}`);
        this.event(c, 'Warning', d.reason, 'Checkpoint', d.message);
        // The audit trail of the pod shows refused attempts on it, too.
        const target = this.d.pods.get(`${c.metadata.namespace ?? ''}/${c.spec.podName}`);
        if (target !== undefined) this.d.events.event(target, { type: 'Warning', reason: d.reason, action: 'Checkpoint', note: `ContainerCheckpoint ${c.metadata.name ?? ''}: ${d.message}`, related: c });
        return c.spec.ttlSecondsAfterFinished !== undefined ? { requeueAfterMs: c.spec.ttlSecondsAfterFinished * 1000 } : undefined;
      }
      case 'handoff': {
        // Metadata first: the node label routes the checkpoint to the node's
        // agent, and the finalizer keeps the resource until the agent has
        // removed the archive. The agent acts only once status names its node.
        const labels = c.metadata.labels ?? {};
        const finalizers = c.metadata.finalizers ?? [];
        let current: Ckpt = c;
        if (labels[nodeLabel] !== d.nodeName || !finalizers.includes(archiveFinalizer)) {
          current = await this.d.client.update<Ckpt>(resources.containerCheckpoints, {
            ...c, metadata: {
              ...c.metadata, labels: { ...labels, [nodeLabel]: d.nodeName },
              finalizers: finalizers.includes(archiveFinalizer) ? finalizers : [...finalizers, archiveFinalizer],
            },
          }, { signal: ctx.signal });
        }
        const message = `handed to the agent on node ${d.nodeName}`;
        await this.status.update(resources.containerCheckpoints, {
          ...current, status: {
            ...status, observedGeneration: gen, nodeName: d.nodeName, sourcePodUID: d.podUID,
            containers: d.targets.map((x) => ({ name: x.name, containerID: x.containerID })),
            conditions: setCondition(status.conditions, { type: conditionTypes.ready, status: 'False', reason: readyReasons.pending, message, observedGeneration: gen }, t),
          },
        }, ctx.signal);
        this.event(c, 'Normal', 'HandedToAgent', 'Schedule', `${message}: ${d.targets.map((x) => x.name).join(', ')}`);
        return { requeueAfterMs: this.d.config.agentWaitSeconds * 1000 };
      }
      case 'delete':
        ctx.logger.info(`deleting: ${d.why}`);
        await this.d.client.delete(resources.containerCheckpoints, c.metadata.name ?? '', c.metadata.namespace, { signal: ctx.signal, preconditions: { resourceVersion: c.metadata.resourceVersion } })
          .catch((err: unknown) => { if ((err as { code?: number }).code !== 404) throw err; });
        return undefined;
    }
  }

  /**
   * The agent removes the archive finalizer once its files are gone. The
   * controller removes it only where there is nothing for an agent to do:
   *  - no agent ever claimed the checkpoint, so none wrote a file. Once
   *    deletion has begun no claim can follow: an agent claims only what is
   *    not being deleted, and a claim read before the deletion carries an
   *    older resourceVersion and is refused. The finalizer patch carries the
   *    resourceVersion read here, so a claim this cache has not seen yet
   *    makes it fail instead;
   *  - the node itself is gone, and its archives with it.
   */
  private async releaseFinalizer(ctx: ReconcileContext, c: Ckpt): Promise<void> {
    if (!(c.metadata.finalizers ?? []).includes(archiveFinalizer)) return;
    const node = c.status?.nodeName ?? '';
    const claimed = c.status?.agent !== undefined;
    const nodeGone = node !== '' && this.d.nodes.get(node) === undefined;
    if (claimed && !nodeGone) return;
    await removeFinalizer(this.d.client, resources.containerCheckpoints, c, archiveFinalizer, ctx.signal);
    if (claimed) ctx.logger.info({ node }, 'released the archive finalizer: the node is gone, and its archives with it');
    else ctx.logger.info('released the archive finalizer: no agent claimed the checkpoint, so no archive exists');
  }

  private event(c: Ckpt, type: 'Normal' | 'Warning', reason: string, action: string, note: string): void {
    this.d.events.event(c, { type, reason, action, note });
  }
}
