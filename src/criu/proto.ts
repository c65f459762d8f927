// Loads the project's CRIU schemas (proto/criu/*.proto) with protobufjs, once.
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import protobuf from 'protobufjs';

export const protoDir = join(import.meta.dirname, '..', '..', 'proto', 'criu');

let root: protobuf.Root | undefined;

function load(): protobuf.Root {
  const r = new protobuf.Root();
  // Imports name sibling files; never let a schema reach outside proto/criu.
  r.resolvePath = (_origin: string, target: string): string => join(protoDir, basename(target));
  const files = readdirSync(protoDir).filter((f) => f.endsWith('.proto')).sort().map((f) => join(protoDir, f));
  r.loadSync(files);
  r.resolveAll();
  return r;
}

/** The protobufjs type of a CRIU message, by its schema name (e.g. `criu_req`). */
export function criuType(name: string): protobuf.Type {
  root ??= load();
  return root.lookupType(name);
}

export type LongMode = 'bigint' | 'string';

/** protobufjs conversion options: enums by name, 64-bit integers as bigint or decimal strings. */
export function toObjectOptions(longs: LongMode): protobuf.IConversionOptions {
  return { enums: String, longs: longs === 'bigint' ? BigInt : String, bytes: Buffer, defaults: false, arrays: true };
}
