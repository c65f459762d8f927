// Follows a checkpoint until it finishes, printing each step once.
import type { ContainerCheckpoint } from '../../api/container-checkpoint.ts';
import { conditionTypes } from '../../api/conditions.ts';
import { resources } from '../../api/names.ts';
import type { PluginContext } from './context.ts';
import { humanBytes } from './format.ts';
import { conditionOf as condition, outcomeOf as outcome } from '../../api/checkpoint-state.ts';
import { stateOf } from './state.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function summary(c: ContainerCheckpoint): string {
  const lines: string[] = [];
  const s = c.status;
  if (outcome(c) === 'failed') {
    const f = condition(c, conditionTypes.failed);
    lines.push(`failed: ${f?.reason ?? ''}: ${f?.message ?? ''}`);
  }
  for (const ct of s?.containers ?? []) {
    if (ct.archive !== undefined) {
      lines.push(`  ${ct.name}: ${ct.archive.path} (${humanBytes(ct.archive.sizeBytes)}, sha256 ${ct.archive.sha256.slice(0, 16)}…)`);
      if (ct.statistics !== undefined) {
        const st = ct.statistics;
        lines.push(`    frozen ${(st.frozenTimeMicros / 1000).toFixed(1)} ms, memdump ${(st.memdumpTimeMicros / 1000).toFixed(1)} ms, memwrite ${(st.memwriteTimeMicros / 1000).toFixed(1)} ms, ${st.pagesWritten} pages written`);
      }
    } else if (ct.reason !== undefined) {
      lines.push(`  ${ct.name}: ${ct.reason}: ${ct.message ?? ''}`);
    }
  }
  if (s?.nodeName !== undefined) lines.push(`  node: ${s.nodeName}${s.durationMillis !== undefined ? `, took ${s.durationMillis} ms` : ''}`);
  return lines.join('\n') + '\n';
}

export interface FollowResult {
  /** 0 succeeded, 1 failed, 2 still running when the wait ran out. */
  exitCode: 0 | 1 | 2;
  checkpoint: ContainerCheckpoint;
}

/**
 * Polls until Succeeded or Failed. Verbose: one progress line per state
 * change on stderr, and the summary on stdout once it is over.
 */
export async function follow(ctx: PluginContext, name: string, verbose: boolean, timeoutMs = 3_600_000): Promise<FollowResult> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const c = await ctx.client.get<ContainerCheckpoint>(resources.containerCheckpoints, name, ctx.namespace);
    const done = (c.status?.containers ?? []).filter((x) => x.archive !== undefined || x.reason !== undefined).length;
    const total = c.status?.containers?.length ?? 0;
    const line = `${stateOf(c) || 'Created'}${total > 0 ? ` (${done}/${total} containers)` : ''}${c.status?.nodeName !== undefined ? ` on ${c.status.nodeName}` : ''}`;
    if (verbose && line !== last) ctx.err.write(`  ${line}\n`);
    last = line;
    const result = outcome(c);
    if (result !== undefined) {
      if (verbose) ctx.out.write(summary(c));
      return { exitCode: result === 'succeeded' ? 0 : 1, checkpoint: c };
    }
    if (Date.now() > deadline) {
      ctx.err.write(`still ${line} after ${timeoutMs / 1000}s; stopped waiting\n`);
      return { exitCode: 2, checkpoint: c };
    }
    await sleep(300);
  }
}
