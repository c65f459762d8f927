// Resolves a runtime container ID to a runc container that can be
// checkpointed: its state, its bundle's OCI spec, and a status that runc
// would accept for `runc checkpoint` (running or paused).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RuncError } from './errors.ts';
import { readMountInfo, overlayRoot, type OverlayRoot } from './mountinfo.ts';
import { bundleDir, readRuncState, type RuncState } from './state.ts';
import { runcStatus, type StatusOptions } from './status.ts';

/** Where containerd's runc shim keeps Kubernetes containers (namespace k8s.io). */
export const containerdRuncRoot = '/run/containerd/runc/k8s.io';
/** Where CRI-O's runc keeps its containers. */
export const crioRuncRoot = '/run/runc';

export type ResolveOptions = StatusOptions;

export interface RuncContainer {
  id: string;
  /** The runc root the state came from, in this process's view. */
  root: string;
  stateDir: string;
  state: RuncState;
  status: 'running' | 'paused';
  /** Init's PID in the host PID namespace. */
  pid: number;
  /** Bundle directory from the bundle= label, in runc's view. */
  bundle?: string;
}

/**
 * Reads the container's state and refuses what runc's checkpoint refuses:
 * created (ContainerCreated) and stopped containers (ContainerStopped, or
 * PidReused when init's PID now belongs to another process).
 */
export async function resolveContainer(root: string, id: string, opts: ResolveOptions = {}): Promise<RuncContainer> {
  const file = await readRuncState(root, id);
  const report = await runcStatus(file, opts);
  const { state } = file;
  switch (report.status) {
    case 'created':
      throw new RuncError('ContainerCreated', `container ${id} is in the created state (not started): it cannot be checkpointed`);
    case 'stopped':
      if (report.stoppedBecause === 'pid-reused') {
        throw new RuncError('PidReused', `container ${id} is stopped: PID ${state.initProcessPid} now belongs to another process (start time differs from runc's record)`);
      }
      throw new RuncError('ContainerStopped', `container ${id} is stopped: its init process ${state.initProcessPid} ${report.stoppedBecause === 'zombie' ? 'is a zombie' : 'is gone'}`);
    case 'running':
    case 'paused': {
      const out: RuncContainer = { id, root, stateDir: file.stateDir, state, status: report.status, pid: state.initProcessPid };
      const bundle = bundleDir(state);
      if (bundle !== undefined) out.bundle = bundle;
      return out;
    }
  }
}

/**
 * Checks again, right before acting on a resolved container, that its init is
 * still the same process (PidReused or ContainerStopped otherwise).
 */
export async function assertStillRunning(container: RuncContainer, opts: ResolveOptions = {}): Promise<void> {
  const again = await resolveContainer(container.root, container.id, opts);
  if (again.pid !== container.pid || again.state.initProcessStart !== container.state.initProcessStart) {
    throw new RuncError('PidReused', `container ${container.id} was restarted: its init is no longer PID ${container.pid}`);
  }
}

/** The bundle's config.json (the OCI runtime spec), as parsed JSON. */
export async function readBundleSpec(container: RuncContainer, fsRoot = '/'): Promise<Record<string, unknown>> {
  if (container.bundle === undefined) throw new RuncError('InvalidRuncState', `container ${container.id} has no bundle label`);
  const path = join(fsRoot, container.bundle, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RuncError('InvalidRuncState', `cannot read the OCI spec ${path}: ${(err as Error).message}`, { cause: err });
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (err) {
    throw new RuncError('InvalidRuncState', `the OCI spec ${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new RuncError('InvalidRuncState', `the OCI spec ${path} is not a JSON object`);
  }
  return spec as Record<string, unknown>;
}

/** The overlay layers of the container's root filesystem, from init's mountinfo. */
export async function rootfsOverlay(container: RuncContainer, procRoot = '/proc'): Promise<OverlayRoot | undefined> {
  return overlayRoot(await readMountInfo(container.pid, procRoot));
}
