// How the plugin reports a failure, in kubectl's words and with kubectl's
// exit codes: 2 for a usage error (nothing was sent), 1 for anything else,
// with the API server's answer as kubectl prints it.
import { ApiError } from '../../runtime/kube/api-error.ts';
import { FlagError } from './runc-flags.ts';

export interface Failure {
  message: string;
  exitCode: 1 | 2;
}

/** parseArgs' own errors (unknown flag, missing value) carry an ERR_PARSE_ARGS_* code. */
function isParseArgsError(err: unknown): boolean {
  return err instanceof TypeError && 'code' in err && typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS');
}

export function describeFailure(err: unknown): Failure {
  if (err instanceof FlagError || isParseArgsError(err)) {
    return { message: `error: ${(err as Error).message}\nSee 'kubectl ckpt COMMAND --help'.`, exitCode: 2 };
  }
  if (err instanceof ApiError) {
    const why = err.status?.message ?? err.message;
    // The collection itself is missing: the CRDs are not installed.
    if (err.code === 404 && /\/containercheckpoints$/.test(err.path)) {
      return { message: `error: the server does not know ContainerCheckpoints: install the operator's CRDs (kubectl apply -k deploy/overlays/containerd)`, exitCode: 1 };
    }
    return { message: `Error from server${err.reason !== '' ? ` (${err.reason})` : ''}: ${why}`, exitCode: 1 };
  }
  return { message: `error: ${err instanceof Error ? err.message : String(err)}`, exitCode: 1 };
}
