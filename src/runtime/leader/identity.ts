// Who this process is in a leader election: the pod name (or host name) plus
// a random suffix, so that a restarted pod with the same name is a new
// candidate and never mistakes the previous incarnation's lease for its own.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.POD_NAME ?? env.HOSTNAME ?? hostname();
  return `${base}_${randomUUID()}`;
}
