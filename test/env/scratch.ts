// Per-run scratch directories under the system temp directory. Each records
// the PID of the process that owns it; a later run removes directories whose
// owner is gone, so an interrupted run leaves nothing behind for long.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ownerFile = 'owner.pid';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function makeScratch(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}.`));
  await writeFile(join(dir, ownerFile), `${process.pid}\n`);
  return dir;
}

/** Scratch directories with this prefix whose owner process has exited. */
export async function orphanedScratch(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(`${prefix}.`)) continue;
    const dir = join(tmpdir(), name);
    const pid = Number((await readFile(join(dir, ownerFile), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) found.push(dir);
  }
  return found;
}

export async function removeScratch(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
