import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ContainerCheckpointSpec, specErrors, withDefaults, type ContainerCheckpoint } from '../../../src/api/index.ts';
import { repoDir } from '../../env/paths.ts';
import { badManifests } from '../../fixtures/bad-manifests.ts';

describe('TypeScript validation agrees with the CRD on bad manifests', () => {
  for (const bad of badManifests) {
    it(`refuses: ${bad.name}`, () => {
      const errors = specErrors(bad.manifest as unknown as ContainerCheckpoint);
      assert.ok(errors.some((e) => e.field === bad.field),
        `want an error on ${bad.field}, got ${JSON.stringify(errors)}`);
    });
  }
});

describe('examples', () => {
  it('are all valid', async () => {
    const dir = join(repoDir, 'examples');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 4);
    for (const f of files) {
      for (const doc of parseAllDocuments(await readFile(join(dir, f), 'utf8'))) {
        const obj = doc.toJS() as ContainerCheckpoint;
        assert.deepEqual(specErrors(obj), [], `${f}: ${obj.metadata.name ?? ''}`);
      }
    }
  });
});

describe('spec immutability', () => {
  const base: ContainerCheckpoint = { apiVersion: 'ckpt.dev/v1alpha1', kind: 'ContainerCheckpoint', metadata: { name: 'x' }, spec: { podName: 'a' } };
  it('refuses a changed spec on update', () => {
    const changed = { ...base, spec: { podName: 'b' } };
    const errors = specErrors(changed, base);
    assert.ok(errors.some((e) => e.field === 'spec' && e.message.includes('immutable')), JSON.stringify(errors));
  });
  it('accepts an unchanged spec on update', () => {
    assert.deepEqual(specErrors(structuredClone(base), base), []);
  });
});

describe('defaults', () => {
  it('fill the runc defaults', () => {
    const spec = withDefaults(ContainerCheckpointSpec, { podName: 'a' });
    const { options, archive } = spec;
    assert.ok(options !== undefined && archive !== undefined);
    assert.equal(options.leaveRunning, true);
    assert.equal(options.manageCgroupsMode, 'Soft');
    assert.equal(options.tcpEstablished, false);
    assert.equal(archive.compression, 'Zstd');
    assert.equal(spec.timeoutSeconds, 120);
    assert.equal(spec.ttlSecondsAfterFinished, undefined);
  });
  it('keep what the user set', () => {
    const spec = withDefaults(ContainerCheckpointSpec, { podName: 'a', options: { leaveRunning: false }, timeoutSeconds: 5 });
    assert.equal(spec.options?.leaveRunning, false);
    assert.equal(spec.timeoutSeconds, 5);
  });
});
