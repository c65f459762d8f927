import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidContainerId, validateContainerId } from '../../../src/runc/container-id.ts';
import { RuncError } from '../../../src/runc/errors.ts';

describe('container IDs', () => {
  it('accepts runtime IDs', () => {
    for (const id of ['a', 'x1', 'f'.repeat(64), 'my_container.v2-1', 'a'.repeat(1024)]) assert.ok(isValidContainerId(id), id);
  });

  it('refuses anything that could leave the runc root or is not a plain name', () => {
    for (const id of ['', '.', '..', '../x', 'a/b', '/abs', 'a\0b', 'a b', 'ünicode', 'a\nb', 'a'.repeat(1025), 'x+y', '~']) {
      assert.equal(isValidContainerId(id), false, JSON.stringify(id));
      assert.throws(() => { validateContainerId(id); }, (err: RuncError) => err.reason === 'InvalidContainerId');
    }
  });
});
