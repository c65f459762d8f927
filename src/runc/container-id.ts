// Container IDs become path components under the runc root: only a plain
// name may pass.
import { RuncError } from './errors.ts';

const idPattern = /^[A-Za-z0-9_.-]+$/;
export const maxContainerIdLength = 1024;

export function isValidContainerId(id: string): boolean {
  return id.length > 0 && id.length <= maxContainerIdLength && idPattern.test(id) && id !== '.' && id !== '..';
}

/** Throws InvalidContainerId unless id is a plain name ([A-Za-z0-9_.-], not . or .., at most 1024 characters). */
export function validateContainerId(id: string): void {
  if (!isValidContainerId(id)) {
    const shown = id.length > 80 ? `${id.slice(0, 80)}...` : id;
    throw new RuncError('InvalidContainerId', `invalid container ID ${JSON.stringify(shown)}: must be 1 to ${maxContainerIdLength} characters of A-Z, a-z, 0-9, '_', '.', '-' and not '.' or '..'`);
  }
}
