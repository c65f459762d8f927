// Resolves a path inside a root directory the way runc's SecureJoin
// (filepath-securejoin) does before it tells CRIU which mount points are
// external: symlinks are followed as if the root were "/", never out of it.
import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';

const maxSymlinks = 255;

/**
 * Returns the path, relative to the root and starting with "/", that
 * unsafePath names inside root. Components that do not exist are kept as
 * they are.
 */
export async function resolveInRoot(root: string, unsafePath: string): Promise<string> {
  let pending = unsafePath.split('/').filter((c) => c !== '' && c !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending[0] ?? '';
    pending = pending.slice(1);
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, part];
    let st;
    try {
      st = await lstat(posix.join(root, ...candidate));
    } catch {
      resolved.push(part);
      continue;
    }
    if (!st.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > maxSymlinks) throw new Error(`too many symlinks resolving ${unsafePath} in ${root}`);
    const target = await readlink(posix.join(root, ...candidate));
    const targetParts = target.split('/').filter((c) => c !== '' && c !== '.');
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...targetParts, ...pending];
  }
  return `/${resolved.join('/')}`;
}
