import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderCrdFiles } from '../../../src/api/crd-files.ts';
import { customResourceDefinitions, type JsonSchema } from '../../../src/api/crds.ts';
import { parseByteQuantity } from '../../../src/api/index.ts';
import { repoDir } from '../../env/paths.ts';

describe('crds/', () => {
  it('matches the schemas in src/api (run `make generate` after changing them)', async () => {
    for (const [name, text] of renderCrdFiles()) {
      const current = await readFile(join(repoDir, 'crds', name), 'utf8').catch(() => '');
      assert.equal(current, text, `crds/${name} is out of date: run make generate`);
    }
  });

  it('describes every field, so kubectl explain has something to say', () => {
    const missing: string[] = [];
    const walk = (node: JsonSchema, path: string): void => {
      if (path !== '' && typeof node.description !== 'string' && !path.endsWith('.metadata')) missing.push(path);
      const props = node.properties as Record<string, JsonSchema> | undefined;
      for (const [k, v] of Object.entries(props ?? {})) walk(v, `${path}.${k}`);
      if (node.items !== undefined) walk(node.items as JsonSchema, `${path}[]`);
    };
    for (const crd of customResourceDefinitions()) {
      const spec = crd.spec as { names: { kind: string }; versions: Array<{ schema: { openAPIV3Schema: JsonSchema } }> };
      for (const v of spec.versions) walk(v.schema.openAPIV3Schema, spec.names.kind);
    }
    assert.deepEqual(missing, []);
  });

  it('bounds every string, list and map that a CEL rule can see', () => {
    const unbounded: string[] = [];
    const walk = (node: JsonSchema, path: string): void => {
      if (node.type === 'array' && node.maxItems === undefined) unbounded.push(path);
      if (node.type === 'string' && node.maxLength === undefined && node.format === undefined && node.enum === undefined && node.pattern === undefined) unbounded.push(path);
      const props = node.properties as Record<string, JsonSchema> | undefined;
      for (const [k, v] of Object.entries(props ?? {})) walk(v, `${path}.${k}`);
      if (node.items !== undefined) walk(node.items as JsonSchema, `${path}[]`);
    };
    for (const crd of customResourceDefinitions()) {
      const spec = crd.spec as { names: { kind: string }; versions: Array<{ schema: { openAPIV3Schema: { properties: { spec: JsonSchema } } } }> };
      for (const v of spec.versions) walk(v.schema.openAPIV3Schema.properties.spec, `${spec.names.kind}.spec`);
    }
    assert.deepEqual(unbounded, []);
  });
});

describe('byte quantities', () => {
  it('parse binary and decimal suffixes exactly', () => {
    assert.equal(parseByteQuantity('1048576'), 1048576n);
    assert.equal(parseByteQuantity('10Gi'), 10n * 2n ** 30n);
    assert.equal(parseByteQuantity('1.5Ki'), 1536n);
    assert.equal(parseByteQuantity('500M'), 500_000_000n);
    assert.equal(parseByteQuantity('8Ei'), 8n * 2n ** 60n);
  });
});
