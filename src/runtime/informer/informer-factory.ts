// One informer per (resource, namespace, selectors), shared by every
// controller that asks for it: one watch and one cache in memory, however
// many readers.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resource.ts';
import { Informer, type InformerOptions } from './informer.ts';

export type SharedInformerOptions<T extends KubeObject> = Omit<InformerOptions<T>, 'client' | 'resource' | 'logger' | 'clock'>;

export interface InformerFactoryOptions {
  client: KubeClient;
  logger?: Logger;
  clock?: Clock;
  /** Defaults applied to every informer (e.g. watchdogMs); per-informer options win. */
  defaults?: SharedInformerOptions<KubeObject>;
}

export class InformerFactory {
  private readonly opts: InformerFactoryOptions;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(opts: InformerFactoryOptions) {
    this.opts = opts;
  }

  /**
   * The shared informer for r (created on first use). Options such as
   * indexers only apply when it is created.
   */
  informer<T extends KubeObject>(r: ResourceType, o: SharedInformerOptions<T> = {}): Informer<T> {
    const key = JSON.stringify([r.group, r.version, r.plural, o.namespace ?? '', o.labelSelector ?? '', o.fieldSelector ?? '']);
    let inf = this.informers.get(key) as Informer<T> | undefined;
    if (inf === undefined) {
      inf = new Informer<T>({
        ...(this.opts.defaults as SharedInformerOptions<T> | undefined),
        ...o,
        client: this.opts.client,
        resource: r,
        logger: this.opts.logger,
        clock: this.opts.clock,
      });
      this.informers.set(key, inf as unknown as Informer<KubeObject>);
      if (this.started) inf.start();
    }
    return inf;
  }

  all(): Informer<KubeObject>[] {
    return [...this.informers.values()];
  }

  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.start();
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
