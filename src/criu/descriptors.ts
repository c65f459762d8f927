// descriptors.json: runc writes the container init's stdio descriptors (what
// /proc/<pid>/fd/0..2 pointed to: "pipe:[123]", "/dev/null", ...) into the
// images directory so that `runc restore` can reattach them. The bytes match
// Go's json.Marshal of a []string, HTML-safe escapes included, so a restore
// tool reads exactly what runc itself would have left.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

export const descriptorsFile = 'descriptors.json';

/** Go's encoding/json output for a []string (nil -> null). */
export function goJsonStringArray(values: readonly string[] | null): string {
  if (values === null) return 'null';
  const escaped = values.map((v) => JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029'));
  return `[${escaped.join(',')}]`;
}

/** Writes descriptors.json (0600) into the images directory, never through a symlink. */
export async function writeDescriptorsJson(imagesDir: string, descriptors: readonly string[] | null): Promise<void> {
  const fh = await open(
    join(imagesDir, descriptorsFile),
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await fh.writeFile(goJsonStringArray(descriptors));
    await fh.chmod(0o600);
  } finally {
    await fh.close();
  }
}
