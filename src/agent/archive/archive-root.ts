// The agent's archive root: the only place on the node it writes or removes.
// Nothing from a manifest can place a file outside it: relative paths are
// checked (src/api), every directory below the root is created by us one
// component at a time and must be a real directory afterwards, files are
// created with O_EXCL|O_NOFOLLOW, and before a file is created or a tree
// removed every directory on the way is checked not to be a symlink (a
// planted symlink is refused, never followed: rm -rf through one would
// delete whatever it points at).
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, realpath, rm, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';

export class PathEscapeError extends Error {
  override readonly name = 'PathEscapeError';
}

/** An exclusive directory that already exists: two checkpoints never share one. */
export class PathInUseError extends Error {
  override readonly name = 'PathInUseError';
}

export class ArchiveRootError extends Error {
  override readonly name = 'ArchiveRootError';
}

/** A relative path that names a place below its base: no '/' start, no empty, '.' or '..' component, no NUL. */
export function isInsidePath(p: string): boolean {
  return p !== '' && !p.includes('\0') && p.split('/').every((c) => c !== '' && c !== '.' && c !== '..');
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

  /**
   * Absolute path of a relative name below the root, after checking its
   * syntax: no leading '/', no empty, '.' or '..' component. (Paths from a
   * spec passed the API's stricter isSafeRelativePath too; the agent's own
   * file names carry ':' from their RFC 3339 time.)
   */
  resolve(relative: string): string {
    if (!isInsidePath(relative)) throw new PathEscapeError(`${relative} is not a relative path inside the archive root`);
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
        if (last && opts.exclusive === true) throw new PathInUseError(`${this.relative(current)} already exists in the archive root`);
      }
      const st = await lstat(current);
      if (st.isSymbolicLink() || !st.isDirectory()) {
        throw new PathEscapeError(`${this.relative(current)} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}; refusing to follow it`);
      }
    }
    return current;
  }

  /**
   * Refuses a path whose directories below the root include a symlink (or a
   * non-directory). Stops quietly at the first component that does not exist:
   * nothing below it can be followed.
   */
  private async checkParents(relative: string): Promise<void> {
    const parts = this.resolve(relative).slice(this.path.length + 1).split('/');
    let current = this.path;
    for (const part of parts.slice(0, -1)) {
      current = join(current, part);
      let st: Stats;
      try {
        st = await lstat(current);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      if (st.isSymbolicLink() || !st.isDirectory()) {
        throw new PathEscapeError(`${this.relative(current)} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}; refusing to follow it`);
      }
    }
  }

  /** Creates a new 0600 file; never follows a symlink and never reuses a file. */
  async createFile(absolute: string): Promise<FileHandle> {
    await this.checkParents(this.relative(absolute));
    return open(absolute, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, fileMode);
  }

  /** Whether relative names a real directory below the root, reached without a symlink. */
  async isDirectory(relative: string): Promise<boolean> {
    await this.checkParents(relative);
    try {
      const st = await lstat(this.resolve(relative));
      return st.isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Appends a line to a small 0600 bookkeeping file, creating it if needed; never through a symlink. */
  async appendLine(relative: string, line: string): Promise<void> {
    await this.checkParents(relative);
    const fh = await open(this.resolve(relative), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, fileMode);
    try {
      if (!(await fh.stat()).isFile()) throw new PathEscapeError(`${relative} is not a regular file`);
      await fh.writeFile(`${line}\n`);
    } finally {
      await fh.close();
    }
  }

  /** Reads a small bookkeeping file; undefined if it does not exist. Never through a symlink. */
  async readSmallFile(relative: string, maxBytes = 64 * 1024): Promise<string | undefined> {
    await this.checkParents(relative);
    let fh: FileHandle;
    try {
      fh = await open(this.resolve(relative), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (code === 'ELOOP') throw new PathEscapeError(`${relative} is a symlink; refusing to follow it`);
      throw err;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new PathEscapeError(`${relative} is not a regular file`);
      if (st.size > maxBytes) throw new PathEscapeError(`${relative} is larger than ${maxBytes} bytes`);
      return await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  }

  /**
   * Removes a relative path and everything below it. The last component is
   * removed, not followed, when it is a symlink; a symlink above it refuses
   * the removal.
   */
  async remove(relative: string): Promise<void> {
    await this.checkParents(relative);
    await rm(this.resolve(relative), { recursive: true, force: true, maxRetries: 3 });
  }
}
