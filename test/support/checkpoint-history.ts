// Every change of every ContainerCheckpoint, as an admin watch sees it, sorted
// into the protocol's steps (docs/design.md). A step written twice (two
// hand-offs, two claims, a status written after the outcome) shows as a
// repeated step, whoever wrote it. Admin credentials: the observer is not
// what is under test.
import type { KubeConfig } from '@kubernetes/client-node';
import { isFinished, outcomeOf } from '../../src/api/checkpoint-state.ts';
import { conditionTypes } from '../../src/api/conditions.ts';
import type { ContainerCheckpoint } from '../../src/api/container-checkpoint.ts';
import { archiveFinalizer, nodeLabel, resources } from '../../src/api/names.ts';
import { Informer } from '../../src/runtime/informer/informer.ts';
import { KubeClient } from '../../src/runtime/kube/kube-client.ts';
import type { KubeObject } from '../../src/runtime/kube/object.ts';

type Ckpt = ContainerCheckpoint & KubeObject;

export type Step =
  | 'created' | 'routed' | 'waiting' | 'handed-off' | 'claimed' | 'progress' | 'finished'
  | 'written-after-finish' | 'deleting' | 'finalizer-released' | 'deleted' | 'other';

export interface Observation {
  step: Step;
  resourceVersion: string;
  at: number;
  /** Failed reason, for finished. */
  reason?: string;
}

const readyOf = (c: Ckpt): string | undefined => c.status?.conditions?.find((x) => x.type === conditionTypes.ready)?.reason;

function stepsOf(old: Ckpt, c: Ckpt): Step[] {
  const steps: Step[] = [];
  const o = old.status ?? {};
  const n = c.status ?? {};
  if (old.metadata.labels?.[nodeLabel] === undefined && c.metadata.labels?.[nodeLabel] !== undefined) steps.push('routed');
  if (old.metadata.deletionTimestamp === undefined && c.metadata.deletionTimestamp !== undefined) steps.push('deleting');
  if ((old.metadata.finalizers ?? []).includes(archiveFinalizer) && !(c.metadata.finalizers ?? []).includes(archiveFinalizer)) steps.push('finalizer-released');
  if (JSON.stringify(o) !== JSON.stringify(n)) {
    if (isFinished(old)) steps.push('written-after-finish');
    else if (isFinished(c)) steps.push('finished');
    else if (o.agent === undefined && n.agent !== undefined) steps.push('claimed');
    else if ((o.nodeName ?? '') === '' && (n.nodeName ?? '') !== '') steps.push('handed-off');
    else if (o.agent !== undefined && JSON.stringify(o.containers) !== JSON.stringify(n.containers)) steps.push('progress');
    else if ((n.nodeName ?? '') === '' && readyOf(c) === 'Pending') steps.push('waiting');
    else steps.push('other');
  }
  return steps;
}

/** The object as created, before anyone acted on it. */
function bare(c: Ckpt): Ckpt {
  const metadata = { ...c.metadata };
  delete metadata.labels;
  delete metadata.finalizers;
  delete metadata.deletionTimestamp;
  return { ...c, metadata, status: {} };
}

export class CheckpointHistory {
  private readonly informer: Informer<Ckpt>;
  private readonly byUid = new Map<string, Observation[]>();
  private readonly names = new Map<string, string>();
  private readonly last = new Map<string, Ckpt>();

  private constructor(admin: KubeConfig) {
    this.informer = new Informer<Ckpt>({ client: new KubeClient(admin, { userAgent: 'ckpt-test-history' }), resource: resources.containerCheckpoints });
    const note = (c: Ckpt, step: Step): void => {
      const uid = c.metadata.uid ?? '';
      this.names.set(uid, `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`);
      let list = this.byUid.get(uid);
      if (list === undefined) this.byUid.set(uid, (list = []));
      const reason = step === 'finished' && outcomeOf(c) === 'failed' ? c.status?.conditions?.find((x) => x.type === conditionTypes.failed)?.reason : undefined;
      list.push({ step, resourceVersion: c.metadata.resourceVersion ?? '', at: Date.now(), ...(reason !== undefined ? { reason } : {}) });
    };
    this.informer.addHandlers({
      onAdd: (c) => {
        const before = this.last.get(c.metadata.uid ?? '');
        this.last.set(c.metadata.uid ?? '', c);
        if (before === undefined) note(c, 'created');
        for (const s of stepsOf(before ?? bare(c), c)) note(c, s);
      },
      onUpdate: (old, c) => {
        this.last.set(c.metadata.uid ?? '', c);
        for (const s of stepsOf(old, c)) note(c, s);
      },
      onDelete: (c) => { note(c, 'deleted'); },
    });
  }

  static async start(admin: KubeConfig): Promise<CheckpointHistory> {
    const h = new CheckpointHistory(admin);
    h.informer.start();
    await h.informer.waitForSync(AbortSignal.timeout(60_000));
    return h;
  }

  of(uid: string): Observation[] {
    return this.byUid.get(uid) ?? [];
  }

  uids(): string[] {
    return [...this.byUid.keys()];
  }

  nameOf(uid: string): string {
    return this.names.get(uid) ?? uid;
  }

  count(uid: string, step: Step): number {
    return this.of(uid).filter((o) => o.step === step).length;
  }

  /**
   * Protocol violations of one checkpoint: a step that happened more than
   * once, or a status written after the outcome. Empty when all is well.
   */
  violations(uid: string): string[] {
    const out: string[] = [];
    for (const step of ['routed', 'handed-off', 'claimed', 'finished', 'finalizer-released'] as const) {
      const n = this.count(uid, step);
      if (n > 1) out.push(`${this.nameOf(uid)}: ${step} ${n} times`);
    }
    if (this.count(uid, 'written-after-finish') > 0) out.push(`${this.nameOf(uid)}: status written after it finished`);
    return out;
  }

  /** Violations over every checkpoint seen. */
  allViolations(): string[] {
    return this.uids().flatMap((u) => this.violations(u));
  }

  describe(uid: string): string {
    return `${this.nameOf(uid)}: ${this.of(uid).map((o) => o.step + (o.reason !== undefined ? `(${o.reason})` : '')).join(' -> ')}`;
  }

  async stop(): Promise<void> {
    await this.informer.stop();
  }
}
