// The container's freezer: cgroup v1's freezer.state or cgroup v2's
// cgroup.freeze. runc reports a frozen container as paused; CRIU freezes
// through it during a dump and a CRIU killed at the wrong moment leaves it
// frozen, so the agent must be able to see and undo that.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuncError } from './errors.ts';

export type FreezerState = 'THAWED' | 'FREEZING' | 'FROZEN';
export type CgroupVersion = 'v1' | 'v2';

/** What ensureThawed found: it thawed the cgroup, it was not frozen, or the cgroup is gone (so is the container). */
export type ThawOutcome = 'thawed' | 'not-frozen' | 'gone';

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENODEV';
}

export class Freezer {
  readonly version: CgroupVersion;
  /** The cgroup directory as this process sees it. */
  readonly dir: string;

  constructor(version: CgroupVersion, dir: string) {
    this.version = version;
    this.dir = dir;
  }

  /**
   * The freezer of a runc container from its cgroup_paths: the v1 freezer
   * hierarchy when there is one (v1 and hybrid hosts), else the unified v2
   * cgroup. fsRoot maps runc's paths into this process's view.
   */
  static fromCgroupPaths(cgroupPaths: Readonly<Record<string, string>>, fsRoot = '/'): Freezer | undefined {
    const v1 = cgroupPaths.freezer;
    if (v1 !== undefined && v1 !== '') return new Freezer('v1', join(fsRoot, v1));
    const v2 = cgroupPaths[''];
    if (v2 !== undefined && v2 !== '') return new Freezer('v2', join(fsRoot, v2));
    return undefined;
  }

  private async read(file: string): Promise<string> {
    return (await readFile(join(this.dir, file), 'utf8')).trim();
  }

  private async write(file: string, value: string): Promise<void> {
    await writeFile(join(this.dir, file), value);
  }

  /** Current state, or 'gone' when the cgroup no longer exists. */
  async state(): Promise<FreezerState | 'gone'> {
    try {
      if (this.version === 'v1') {
        const s = await this.read('freezer.state');
        if (s === 'THAWED' || s === 'FREEZING' || s === 'FROZEN') return s;
        throw new RuncError('FreezerFailed', `unknown freezer state ${JSON.stringify(s)} in ${this.dir}`);
      }
      const want = await this.read('cgroup.freeze');
      if (want === '0') return 'THAWED';
      const events = await this.read('cgroup.events');
      return /^frozen 1$/m.test(events) ? 'FROZEN' : 'FREEZING';
    } catch (err) {
      if (isGone(err)) return 'gone';
      if (err instanceof RuncError) throw err;
      throw new RuncError('FreezerFailed', `cannot read the freezer in ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * runc's notion of paused: frozen by this cgroup's own setting (v1
   * self_freezing, v2 cgroup.freeze), not only through a frozen parent.
   */
  async isPaused(): Promise<boolean> {
    const s = await this.state();
    if (s === 'gone' || s === 'THAWED') return false;
    if (this.version === 'v2') return s === 'FROZEN';
    if (s !== 'FROZEN') return false;
    try {
      return (await this.read('freezer.self_freezing')) === '1';
    } catch (err) {
      if (isGone(err)) return false;
      throw new RuncError('FreezerFailed', `cannot read freezer.self_freezing in ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Freezes and waits until the kernel reports FROZEN. */
  async freeze(timeoutMs = 10_000): Promise<void> {
    await this.transition('FROZEN', timeoutMs);
  }

  /** Thaws and waits until the kernel reports THAWED. */
  async thaw(timeoutMs = 10_000): Promise<void> {
    await this.transition('THAWED', timeoutMs);
  }

  private async transition(target: 'FROZEN' | 'THAWED', timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.version === 'v1') await this.write('freezer.state', target);
        else await this.write('cgroup.freeze', target === 'FROZEN' ? '1' : '0');
      } catch (err) {
        if (isGone(err)) throw new RuncError('FreezerFailed', `the cgroup ${this.dir} is gone`, { cause: err });
        throw new RuncError('FreezerFailed', `cannot ${target === 'FROZEN' ? 'freeze' : 'thaw'} ${this.dir}: ${(err as Error).message}`, { cause: err });
      }
      const s = await this.state();
      if (s === target) return;
      if (s === 'gone') throw new RuncError('FreezerFailed', `the cgroup ${this.dir} is gone`);
      if (performance.now() > deadline) {
        throw new RuncError('FreezerFailed', `${this.dir} is still ${s} after ${timeoutMs} ms of trying to make it ${target}`);
      }
      // Freezing can stall on a task in an uninterruptible sleep; retrying the
      // write is what runc does too.
      await sleep(Math.min(100, 2 ** attempt));
    }
  }

  /** Makes sure the cgroup is not frozen; the one call to make after any failed dump. */
  async ensureThawed(timeoutMs = 10_000): Promise<ThawOutcome> {
    const s = await this.state();
    if (s === 'gone') return 'gone';
    if (s === 'THAWED') return 'not-frozen';
    try {
      await this.thaw(timeoutMs);
    } catch (err) {
      if ((await this.state()) === 'gone') return 'gone';
      throw err;
    }
    return 'thawed';
  }
}
