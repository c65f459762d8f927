// Lets `node --test test/unit/runtime/` (a directory, which node --test does
// not expand) run every test file here: Node loads this package's main.
import { readdirSync } from 'node:fs';

for (const f of readdirSync(import.meta.dirname).filter((n) => n.endsWith('.test.ts')).sort()) {
  await import(`./${f}`);
}
