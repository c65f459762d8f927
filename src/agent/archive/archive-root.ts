// The agent's archive root: the only place on the node it writes. Nothing
// from a manifest can place a file outside it: relative paths are checked
// (src/api), every directory below the root is created by us one component at
// a time and must be a real directory afterwards (a planted symlink is
// refused, never followed), and files are created with O_EXCL|O_NOFOLLOW.
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, realpath, rm, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { isSafeRelativePath } from '../../api/checkpoint-options.ts';

export class PathEscapeError extends Error {
  override readonly name = 'PathEscapeError';
}

export class ArchiveRootError extends Error {
  override readonly name = 'ArchiveRootError';
}

const dirMode = 0o700;
const fileMode = 0o600;

function checkRootStat(path: string, st: Stats): void {
  if (st.isSymbolicLink()) throw new ArchiveRootError(`archive root ${path} is a symlink; point the agent at the real directory`);
  if (!st.isDirectory()) throw new ArchiveRootError(`archive root ${path} is not a directory`);
  if ((st.mode & 0o002) !== 0) throw new ArchiveRootError(`archive root ${path} is world-writable`);
  if (st.uid !== 0) throw new ArchiveRootError(`archive root ${path} is owned by uid ${st.uid}, not root`);
}

export class ArchiveRoot {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Opens (creating if missing, 0700) the archive root. Refuses a root that
   * is a symlink, world-writable or not owned by root: anyone who can write
   * there could redirect the agent's writes.
   */
  static async open(path: string): Promise<ArchiveRoot> {
    if (!path.startsWith('/')) throw new ArchiveRootError(`archive root ${path} must be an absolute path`);
    await mkdir(path, { recursive: true, mode: dirMode });
    checkRootStat(path, await lstat(path));
    const real = await realpath(path);
    if (real !== path.replace(/\/+$/, '')) throw new ArchiveRootError(`archive root ${path} resolves to ${real} through a symlink`);
    return new ArchiveRoot(real);
  }

  /** Absolute path of a relative name below the root, after checking its syntax. */
  resolve(relative: string): string {
    if (!isSafeRelativePath(relative)) throw new PathEscapeError(`${relative} is not a relative path inside the archive root`);
    return join(this.path, relative);
  }

  /** Relative name of an absolute path below the root. */
  relative(absolute: string): string {
    if (!absolute.startsWith(this.path + sep)) throw new PathEscapeError(`${absolute} is outside the archive root`);
    return absolute.slice(this.path.length + 1);
  }

  /**
   * Creates relative (and its parents) as real 0700 directories. With
   * exclusive, the last component must not exist yet, so that two
   * checkpoints never share a directory.
   */
  async makeDir(relative: string, opts: { exclusive?: boolean } = {}): Promise<string> {
    const parts = this.resolve(relative).slice(this.path.length + 1).split('/');
    let current = this.path;
    for (const [i, part] of parts.entries()) {
      current = join(current, part);
      const last = i === parts.length - 1;
      try {
        await mkdir(current, { mode: dirMode });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (last && opts.exclusive === true) throw new PathEscapeError(`${this.relative(current)} already exists`);
      }
      const st = await lstat(current);
      if (st.isSymbolicLink() || !st.isDirectory()) {
        throw new PathEscapeError(`${this.relative(current)} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}; refusing to follow it`);
      }
    }
    return current;
  }

  /** Creates a new 0600 file; never follows a symlink and never reuses a file. */
  async createFile(absolute: string): Promise<FileHandle> {
    this.relative(absolute);
    return open(absolute, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, fileMode);
  }

  /** Removes a relative path and everything below it; symlinks are removed, not followed. */
  async remove(relative: string): Promise<void> {
    await rm(this.resolve(relative), { recursive: true, force: true });
  }
}
