// kubectl ckpt inspect ARCHIVE: what a checkpoint archive holds, decoded
// from its CRIU images (process tree, memory, open files, sockets).
import { parseArgs } from 'node:util';
import { summarize, type CheckpointSummary } from '../../inspect/checkpoint-summary.ts';
import { readArchive } from '../../inspect/read-archive.ts';
import { humanBytes, parseOutput, render } from './format.ts';
import { FlagError } from './runc-flags.ts';

export const inspectUsage = `Usage: kubectl ckpt inspect ARCHIVE [-o json|yaml]

Show what a checkpoint archive (.tar, .tar.gz or .tar.zst) holds.
`;

function tree(s: CheckpointSummary, file: string): string {
  const out: string[] = [file];
  const c = s.container;
  if (c !== undefined) {
    out.push(`├── container: ${c.name ?? ''} (${c.id ?? ''})`, `├── image: ${c.image ?? ''}`, `├── runtime: ${c.runtime ?? ''}`);
    if (s.pod?.name !== undefined) out.push(`├── pod: ${s.pod.namespace ?? ''}/${s.pod.name}`);
    out.push(`├── created: ${c.createdTime ?? ''}`, `├── checkpointed: ${c.checkpointedTime ?? ''}`);
  }
  out.push(`├── memory dumped: ${humanBytes(s.memoryBytes)} (images ${humanBytes(s.imagesBytes)}${s.rootfsDiffBytes > 0 ? `, rootfs diff ${humanBytes(s.rootfsDiffBytes)}` : ''})`);
  if (s.statistics !== undefined) {
    const st = s.statistics;
    const ms = (k: string): string => `${(Number(st[k] ?? 0) / 1000).toFixed(1)} ms`;
    out.push(`├── CRIU statistics: frozen ${ms('frozenTime')}, freezing ${ms('freezingTime')}, memdump ${ms('memdumpTime')}, memwrite ${ms('memwriteTime')}, pages written ${st.pagesWritten ?? '0'}`);
  }
  out.push('├── processes');
  s.processes.forEach((p, i) => {
    const last = i === s.processes.length - 1;
    out.push(`│   ${last ? '└' : '├'}── [${p.pid}] ${p.command}  (parent ${p.ppid}, ${p.threads} thread${p.threads === 1 ? '' : 's'}, ${humanBytes(p.memoryBytes)})`);
    for (const f of p.files) out.push(`│   ${last ? ' ' : '│'}       fd ${f.fd}: ${f.kind} ${f.target}`);
  });
  out.push(`└── sockets${s.sockets.length === 0 ? ': none' : ''}`);
  for (const k of s.sockets) out.push(`    └── ${k.kind} ${k.local}${k.remote !== '' ? ` -> ${k.remote}` : ''} ${k.state}`.trimEnd());
  return out.join('\n') + '\n';
}

export async function inspect(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) { out.write(inspectUsage); return 0; }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new FlagError('inspect takes exactly one ARCHIVE');
  const output = parseOutput(values.output, ['table', 'json', 'yaml']);
  const summary = summarize(await readArchive(file));
  out.write(output === 'table' ? tree(summary, file) : render(summary, output));
  return 0;
}
