// Writes crds/ from the schemas in src/api (the single source of truth).
//   node hack/gen-crds.ts          write the files
//   node hack/gen-crds.ts --check  exit 1 if crds/ differs from the source
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCrdFiles } from '../src/api/crd-files.ts';

const dir = join(import.meta.dirname, '..', 'crds');
const check = process.argv.includes('--check');
let stale = 0;
for (const [name, text] of renderCrdFiles()) {
  const path = join(dir, name);
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current === text) continue;
  if (check) {
    process.stderr.write(`${path} is out of date with src/api; run: make generate\n`);
    stale++;
  } else {
    await writeFile(path, text);
    process.stdout.write(`wrote ${path}\n`);
  }
}
process.exit(stale > 0 ? 1 : 0);
