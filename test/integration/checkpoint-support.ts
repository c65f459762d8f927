// Shared set-up of the checkpoint controller suites: a real control plane with
// the operator's RBAC from deploy/, the controller as a process under its
// ServiceAccount (test/support/operator.ts), the agent's side played by
// AgentDouble under the agent's ServiceAccount. Admin credentials only
// arrange fixtures and observe.
import type { KubeConfig } from '@kubernetes/client-node';
import { outcomeOf } from '../../src/api/checkpoint-state.ts';
import { conditionTypes } from '../../src/api/conditions.ts';
import type { ContainerCheckpoint, ContainerCheckpointSpec } from '../../src/api/container-checkpoint.ts';
import { resources } from '../../src/api/names.ts';
import { isNotFound } from '../../src/runtime/kube/api-error.ts';
import { KubeClient } from '../../src/runtime/kube/kube-client.ts';
import type { KubeObject } from '../../src/runtime/kube/object.ts';
import { coreResources } from '../../src/runtime/kube/resource.ts';
import type { KubeEvent } from '../../src/runtime/events/event-recorder.ts';
import { TestCluster } from '../support/cluster.ts';
import { startController, type OperatorProcess } from '../support/operator.ts';

export type Ckpt = ContainerCheckpoint & KubeObject;

export interface Suite {
  cluster: TestCluster;
  adminConfig: KubeConfig;
  admin: KubeClient;
  /** The agent ServiceAccount's credentials, for AgentDouble. */
  agentConfig: KubeConfig;
  stop(): Promise<void>;
}

const controllerSA = 'system:serviceaccount:ckpt-system:ckpt-controller';
const agentSA = 'system:serviceaccount:ckpt-system:ckpt-agent';

/** Waits until the authorizer has seen the bindings from deploy/ (it learns them through its own watch). */
async function waitForRbac(cluster: TestCluster): Promise<void> {
  const checks: [string, string[]][] = [
    [controllerSA, ['list', 'containercheckpoints.ckpt.dev', '-A']],
    [controllerSA, ['update', 'containercheckpoints.ckpt.dev', '--subresource=status', '-n', 'default']],
    [controllerSA, ['update', 'leases.coordination.k8s.io', '-n', 'ckpt-system']],
    [agentSA, ['update', 'containercheckpoints.ckpt.dev', '--subresource=status', '-n', 'default']],
    [agentSA, ['update', 'leases.coordination.k8s.io', '-n', 'ckpt-system']],
  ];
  for (const [who, args] of checks) {
    await waitFor(`RBAC to let ${who} ${args.join(' ')}`, async () => {
      const r = await cluster.kubectl(['auth', 'can-i', ...args, `--as=${who}`]);
      return r.stdout.trim() === 'yes' ? true : undefined;
    }, 60_000, 250);
  }
}

export async function startSuite(): Promise<Suite> {
  const cluster = await TestCluster.start();
  try {
    await cluster.installRbac();
    await waitForRbac(cluster);
    const adminConfig = cluster.adminConfig();
    const admin = new KubeClient(adminConfig, { userAgent: 'ckpt-test-admin' });
    const agentConfig = cluster.configFromFile(await cluster.serviceAccountKubeconfig('ckpt-system', 'ckpt-agent'));
    return {
      cluster, adminConfig, admin, agentConfig,
      stop: async () => {
        admin.close();
        await cluster.stop();
      },
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/**
 * Flags that make the controller quick to act in tests; later flags override
 * them. Leader election keeps its defaults (15 s lease, 10 s renew deadline):
 * on a machine loaded by other test runs a shorter renew deadline can cost
 * the leader its lease, and a controller that loses it exits by design.
 */
export const quickControllerArgs = ['--agent-wait=4s', '--deadline-grace=1s', '--log-level=debug'];

/** Controllers that should be running: one that exits on its own fails the wait in progress at once. */
const running = new Set<OperatorProcess>();

export async function startQuickController(s: Suite, args: string[] = []): Promise<OperatorProcess> {
  const p = await startController(s.cluster, { args: [...quickControllerArgs, ...args] });
  running.add(p);
  return p;
}

/** SIGKILL, on purpose. */
export async function killController(p: OperatorProcess): Promise<void> {
  running.delete(p);
  await p.kill();
}

/** SIGTERM and a graceful exit, on purpose. */
export async function stopController(p: OperatorProcess): Promise<void> {
  running.delete(p);
  await p.stop();
}

function crashed(): Error | undefined {
  for (const p of running) {
    if (p.exited) return new Error(`${p.name} exited on its own (code ${String(p.child.exitCode)}, signal ${String(p.child.signalCode)}); last logs:\n${p.logs().slice(-4000)}`);
  }
  return undefined;
}

/** waitFor that gives up at once, saying why, when a controller died meanwhile. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const dead = crashed();
    if (dead !== undefined) throw new Error(`while waiting for ${what}: ${dead.message}`);
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await sleep(everyMs);
  }
}

export async function createCkpt(admin: KubeClient, namespace: string, name: string, spec: ContainerCheckpointSpec,
  metadata: { labels?: Record<string, string>; finalizers?: string[] } = {}): Promise<Ckpt> {
  return admin.create<Ckpt>(resources.containerCheckpoints, {
    apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint', metadata: { name, namespace, ...metadata }, spec,
  });
}

/** Creates many checkpoints, a bounded number at a time. */
export async function createCkpts(admin: KubeClient, items: { namespace: string; name: string; spec: ContainerCheckpointSpec }[], concurrency = 32): Promise<Ckpt[]> {
  const out = new Array<Ckpt>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) {
      const it = items[i];
      if (it !== undefined) out[i] = await createCkpt(admin, it.namespace, it.name, it.spec);
    }
  }));
  return out;
}

export async function getCkpt(admin: KubeClient, namespace: string, name: string): Promise<Ckpt | undefined> {
  try {
    return await admin.get<Ckpt>(resources.containerCheckpoints, name, namespace);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function listCkpts(admin: KubeClient, namespace?: string): Promise<Ckpt[]> {
  const out: Ckpt[] = [];
  let cont: string | undefined;
  do {
    const page = await admin.list<Ckpt>(resources.containerCheckpoints, { namespace, limit: 500, continue: cont });
    out.push(...page.items);
    cont = page.metadata?.continue;
  } while (cont !== undefined && cont !== '');
  return out;
}

export async function waitForOutcome(admin: KubeClient, namespace: string, name: string, timeoutMs = 120_000): Promise<Ckpt> {
  return waitFor(`checkpoint ${namespace}/${name} to finish`, async () => {
    const c = await getCkpt(admin, namespace, name);
    return c !== undefined && outcomeOf(c) !== undefined ? c : undefined;
  }, timeoutMs, 200);
}

export async function waitForGone(admin: KubeClient, namespace: string, name: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`checkpoint ${namespace}/${name} to be gone`, async () => ((await getCkpt(admin, namespace, name)) === undefined ? true : undefined), timeoutMs, 200);
}

export async function waitForCkpt(admin: KubeClient, namespace: string, name: string, what: string, check: (c: Ckpt) => boolean, timeoutMs = 60_000): Promise<Ckpt> {
  return waitFor(`checkpoint ${namespace}/${name}: ${what}`, async () => {
    const c = await getCkpt(admin, namespace, name);
    return c !== undefined && check(c) ? c : undefined;
  }, timeoutMs, 200);
}

export function conditionsOf(c: ContainerCheckpoint): Record<string, string> {
  return Object.fromEntries((c.status?.conditions ?? []).map((x) => [x.type, `${x.status}/${x.reason}`]));
}

export function failedReason(c: ContainerCheckpoint): string | undefined {
  const f = c.status?.conditions?.find((x) => x.type === conditionTypes.failed && x.status === 'True');
  return f?.reason;
}

/** events.k8s.io Events about one object. */
export async function eventsAbout(admin: KubeClient, namespace: string, name: string): Promise<KubeEvent[]> {
  const list = await admin.list<KubeEvent>(coreResources.events, { namespace });
  return list.items.filter((e) => e.regarding.name === name && e.regarding.kind === 'ContainerCheckpoint');
}

export async function waitForEvent(admin: KubeClient, namespace: string, name: string, reason: string, timeoutMs = 30_000): Promise<KubeEvent> {
  return waitFor(`an event ${reason} about ${namespace}/${name}`, async () => (await eventsAbout(admin, namespace, name)).find((e) => e.reason === reason), timeoutMs, 250);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
