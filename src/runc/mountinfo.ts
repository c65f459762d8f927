// /proc/<pid>/mountinfo as seen by the container's init: the overlay mount at
// its root names the upper directory, whose contents are the container's
// changes to its image (the rootfs diff a checkpoint archive carries).
import { readFile } from 'node:fs/promises';

export interface MountInfo {
  mountId: number;
  parentId: number;
  /** major:minor of the filesystem. */
  device: string;
  /** Root of the mount within its filesystem. */
  root: string;
  mountPoint: string;
  options: string;
  optionalFields: string[];
  fsType: string;
  source: string;
  superOptions: string;
}

/** Undoes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash, \054 comma). */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 4) throw new Error(`malformed mountinfo line: ${line}`);
    const [id, parent, device, root, mountPoint, options] = fields;
    if (id === undefined || parent === undefined || device === undefined || root === undefined || mountPoint === undefined || options === undefined) {
      throw new Error(`malformed mountinfo line: ${line}`);
    }
    out.push({
      mountId: Number(id),
      parentId: Number(parent),
      device,
      root: unescapeMountField(root),
      mountPoint: unescapeMountField(mountPoint),
      options,
      optionalFields: fields.slice(6, sep),
      fsType: fields[sep + 1] ?? '',
      source: unescapeMountField(fields[sep + 2] ?? ''),
      superOptions: fields.slice(sep + 3).join(' '),
    });
  }
  return out;
}

export async function readMountInfo(pid: number, procRoot = '/proc'): Promise<MountInfo[]> {
  return parseMountInfo(await readFile(`${procRoot}/${pid}/mountinfo`, 'utf8'));
}

/**
 * Splits mount super options on commas (the kernel escapes commas inside
 * values as \054). Pairs, not a map: overlayfs may repeat lowerdir+.
 */
export function parseSuperOptions(superOptions: string): [string, string][] {
  const out: [string, string][] = [];
  for (const part of superOptions.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) out.push([unescapeMountField(part), '']);
    else out.push([unescapeMountField(part.slice(0, eq)), unescapeMountField(part.slice(eq + 1))]);
  }
  return out;
}

export interface OverlayRoot {
  /** The writable layer: the container's changes. Path in the mounting runtime's view. */
  upperdir: string;
  /** Read-only image layers, topmost first. */
  lowerdirs: string[];
  workdir: string;
}

/** Splits overlayfs' lowerdir list on ':' not preceded by a backslash. */
function splitLowerdirs(value: string): string[] {
  return value.split(/(?<!\\):/).filter((s) => s !== '').map((s) => s.replace(/\\:/g, ':'));
}

/**
 * The overlay mounted at the container's root (the last mount on "/" wins, as
 * the topmost one). Undefined for a rootfs that is not an overlay (e.g. a
 * plain directory, or a read-only image without an upper layer).
 */
export function overlayRoot(mounts: readonly MountInfo[]): OverlayRoot | undefined {
  const root = mounts.filter((m) => m.mountPoint === '/').at(-1);
  if (root?.fsType !== 'overlay') return undefined;
  const opts = parseSuperOptions(root.superOptions);
  const get = (key: string): string | undefined => opts.findLast(([k]) => k === key)?.[1];
  const upperdir = get('upperdir');
  if (upperdir === undefined) return undefined;
  const lowerdirs = opts
    .filter(([k]) => k === 'lowerdir' || k === 'lowerdir+')
    .flatMap(([k, v]) => (k === 'lowerdir' ? splitLowerdirs(v) : [v]));
  return { upperdir, lowerdirs, workdir: get('workdir') ?? '' };
}
