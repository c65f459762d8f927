// What a kubelet and container runtime would do with one container of a pod
// spec, as a hack/run-container.sh command line: the image's root file
// system and config, the container's command, environment (values and the
// downward API), security context, hostPath and emptyDir volumes, and the
// ServiceAccount token. Anything the demo cannot honour fails loudly rather
// than being skipped, so the demo never runs something the manifest does
// not say.
import type { V1Container, V1PodSpec, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { join } from 'node:path';
import { hackDir } from '../../test/env/paths.ts';
import type { BuiltImage } from './images.ts';

export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface PodContext {
  podName: string;
  namespace: string;
  nodeName: string;
  image: BuiltImage;
  /** The image's root file system as the runner sees it (inside the node for a DaemonSet). */
  rootfs: string;
  /** argv prefix that puts the runner on the pod's host (the node's mount namespace). */
  enter: string[];
  apiServer: { host: string; port: string };
  serviceAccount: { token: string; ca: string };
  /** Demo-only settings on top of the manifest's environment, with why. */
  overrides: Array<{ name: string; value: string; why: string }>;
}

export interface ContainerLaunch {
  argv: string[];
  env: Record<string, string>;
  /** What the demo applied, for people. */
  summary: string[];
}

function fieldRef(path: string, ctx: PodContext): string {
  switch (path) {
    case 'spec.nodeName': return ctx.nodeName;
    case 'metadata.namespace': return ctx.namespace;
    case 'metadata.name': return ctx.podName;
    default: throw new Error(`the demo does not provide the downward API field ${path}`);
  }
}

function uidGid(user: string): [number | undefined, number | undefined] {
  if (user === '') return [undefined, undefined];
  const [u = '', g] = user.split(':');
  if (!/^\d+$/.test(u) || (g !== undefined && !/^\d+$/.test(g))) throw new Error(`image user ${user} is not numeric`);
  return [Number(u), g === undefined ? undefined : Number(g)];
}

function volumeArgs(m: V1VolumeMount, v: V1Volume | undefined, summary: string[]): string[] {
  if (v === undefined) throw new Error(`volumeMount ${m.name} names no volume`);
  if (m.subPath !== undefined || m.subPathExpr !== undefined) throw new Error(`volumeMount ${m.name}: subPath is not supported by the demo`);
  const propagation = m.mountPropagation ?? 'None';
  if (propagation !== 'None' && propagation !== 'HostToContainer') throw new Error(`volumeMount ${m.name}: mountPropagation ${propagation} is not supported by the demo`);
  if (v.hostPath !== undefined) {
    const opts = [`propagation=${propagation}`];
    if (v.hostPath.type !== undefined && v.hostPath.type !== '') opts.push(`type=${v.hostPath.type}`);
    if (m.readOnly === true) opts.push('ro');
    summary.push(`${m.mountPath} <- hostPath ${v.hostPath.path} (${[m.readOnly === true ? 'read-only' : 'read-write', propagation].join(', ')})`);
    return ['--bind', `${v.hostPath.path}:${m.mountPath}:${opts.join(',')}`];
  }
  if (v.emptyDir !== undefined) {
    summary.push(`${m.mountPath} <- emptyDir`);
    return ['--tmpfs', m.mountPath];
  }
  throw new Error(`volume ${v.name}: only hostPath and emptyDir volumes are supported by the demo`);
}

export function launchContainer(spec: V1PodSpec, ctx: PodContext, containerName?: string): ContainerLaunch {
  const c: V1Container | undefined = containerName === undefined ? spec.containers[0] : spec.containers.find((x) => x.name === containerName);
  if (c === undefined) throw new Error(`the pod has no container ${containerName ?? ''}`);
  const summary: string[] = [];
  const img = ctx.image.config;

  const command = c.command ?? img.entrypoint;
  const args = c.args ?? (c.command !== undefined ? [] : img.cmd);
  if (command.length === 0) throw new Error(`container ${c.name}: neither the manifest nor the image has a command`);

  const env: Record<string, string> = {};
  for (const kv of img.env) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  // What the kubelet adds: the pod's host name and the API server's Service.
  env.HOSTNAME = ctx.podName;
  env.KUBERNETES_SERVICE_HOST = ctx.apiServer.host;
  env.KUBERNETES_SERVICE_PORT = ctx.apiServer.port;
  for (const e of c.env ?? []) {
    if (e.value !== undefined) {
      if (e.value.includes('$(')) throw new Error(`env ${e.name}: $(VAR) references are not supported by the demo`);
      env[e.name] = e.value;
    } else if (e.valueFrom?.fieldRef !== undefined) {
      env[e.name] = fieldRef(e.valueFrom.fieldRef.fieldPath, ctx);
      summary.push(`env ${e.name}=${env[e.name] ?? ''} (from ${e.valueFrom.fieldRef.fieldPath})`);
    } else {
      throw new Error(`env ${e.name}: only values and fieldRef are supported by the demo`);
    }
  }
  if (c.envFrom !== undefined) throw new Error(`container ${c.name}: envFrom is not supported by the demo`);
  for (const o of ctx.overrides) {
    env[o.name] = o.value;
    summary.push(`env ${o.name}=${o.value} (demo only: ${o.why})`);
  }

  const sc = c.securityContext ?? {};
  const psc = spec.securityContext ?? {};
  const [imageUid, imageGid] = uidGid(ctx.image.config.user);
  const uid = sc.runAsUser ?? psc.runAsUser ?? imageUid ?? 0;
  const gid = sc.runAsGroup ?? psc.runAsGroup ?? imageGid ?? 0;
  if ((sc.runAsNonRoot ?? psc.runAsNonRoot) === true && uid === 0) {
    throw new Error(`container ${c.name} has runAsNonRoot and the image will run as root`);
  }
  const opts: string[] = ['--rootfs', ctx.rootfs, '--workdir', c.workingDir ?? img.workingDir, '--user', `${uid}:${gid}`];
  const security: string[] = [`uid ${uid}, gid ${gid}`];
  if (sc.readOnlyRootFilesystem === true) { opts.push('--read-only'); security.push('read-only root file system'); }
  if (sc.privileged === true) { opts.push('--privileged'); security.push('privileged'); }
  if (spec.hostPID === true) { opts.push('--host-pid'); security.push('host PID namespace'); } else security.push('own PID namespace');
  if (spec.hostNetwork === true || spec.hostIPC === true) throw new Error('hostNetwork and hostIPC are not supported by the demo');
  summary.unshift(`image ${ctx.image.ref} (${ctx.image.layers} layers, ${(ctx.image.layerBytes / 2 ** 20).toFixed(0)} MiB)`, security.join(', '));

  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  for (const m of c.volumeMounts ?? []) opts.push(...volumeArgs(m, volumes.get(m.name), summary));
  if (spec.automountServiceAccountToken !== false) {
    opts.push('--serviceaccount', serviceAccountDir);
    env.RUN_SA_TOKEN = ctx.serviceAccount.token;
    env.RUN_SA_CA = ctx.serviceAccount.ca;
    env.RUN_SA_NAMESPACE = ctx.namespace;
    summary.push(`${serviceAccountDir} <- token of ServiceAccount ${ctx.namespace}/${spec.serviceAccountName ?? 'default'}`);
  }
  summary.push(`command ${[...command, ...args].join(' ')}`);
  return {
    argv: ['setpriv', '--pdeathsig', 'SIGKILL', '--', ...ctx.enter, join(hackDir, 'run-container.sh'), ...opts, '--', ...command, ...args],
    env, summary,
  };
}
