// Agent benchmark: dump wall time and frozen time of the agent's pipeline
// against `runc checkpoint --leave-running` of the same container in the same
// run (64 MiB, 256 MiB, 1 GiB of warm, random memory; median of 5), the pause
// the application sees (from its freezer and task state), and archive
// throughput for None, Gzip and Zstd on random and on compressible memory.
//
//   node bench/agent.ts [--rounds N] [--sizes 64,256,1024] [--throughput-mib 256] [--json FILE]
//
// Starts its own node stack (test/env, as the node tests do), runs the
// measuring half (bench/agent-worker.ts) inside it, and prints Markdown tables.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoDir } from '../test/env/paths.ts';
import { runcRoot, shareInNode } from '../test/env/node-handle.ts';
import { TestNode } from '../test/support/node.ts';
import { ticks, ticksAfter } from '../test/support/workload.ts';
import type { BenchContainer, BenchResults, DumpSample, WorkerConfig } from './agent-worker.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '64,256,1024' },
    'throughput-mib': { type: 'string', default: '256' },
    json: { type: 'string' },
  },
});

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

const med = (samples: readonly DumpSample[], f: (s: DumpSample) => number | undefined): number => median(samples.map((s) => f(s) ?? 0));
const ms = (x: number): string => (x > 0 && x < 1 ? '< 1' : x.toFixed(0));
const mib = (n: number): string => (n >= 1024 ? `${n / 1024} GiB` : `${n} MiB`);

async function resident(node: TestNode, pid: number): Promise<number> {
  const status = await node.execOk(['cat', `/proc/${pid}/status`]);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function startContainers(node: TestNode, role: string, specs: { mib: number; content: 'random' | 'text' }[]): Promise<BenchContainer[]> {
  const out: BenchContainer[] = [];
  for (const s of specs) {
    const id = `bench-${role}-${s.content}-${s.mib}`;
    const pid = await node.runContainer({ id, args: ['/bin/workload', 'mem', String(s.mib), s.content] });
    out.push({ id, pid, mib: s.mib, content: s.content });
  }
  // The workload touches all its memory before it starts ticking.
  for (const c of out) {
    await ticksAfter(node, c.pid, 0, 300_000);
    const rss = await resident(node, c.pid);
    if (rss < c.mib) throw new Error(`${c.id}: only ${rss.toFixed(0)} MiB resident of ${c.mib}`);
  }
  return out;
}

function runWorker(node: TestNode, cfg: WorkerConfig): Promise<BenchResults> {
  const node24 = join(repoDir, 'node_modules', '.bin', 'node');
  return new Promise((resolve, reject) => {
    const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', ...node.enterArgv(), node24, join(repoDir, 'bench', 'agent-worker.ts'), JSON.stringify(cfg)], {
      stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...node.info.criuEnv },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the bench worker exited with ${String(code)}`));
      else resolve(JSON.parse(out) as BenchResults);
    });
  });
}

function compareTable(r: BenchResults): string {
  const rows = [
    '| memory | agent dump wall | runc wall | agent / runc | agent whole job (dump + Zstd archive) |',
    '|---|---|---|---|---|',
  ];
  for (const c of r.compare) {
    const aw = med(c.agent, (s) => s.wallMs);
    const rw = med(c.runc, (s) => s.wallMs);
    rows.push(`| ${mib(c.mib)} | ${ms(aw)} ms | ${ms(rw)} ms | ${(aw / rw).toFixed(2)}x | ${ms(med(c.agent, (s) => s.jobMs))} ms |`);
  }
  return rows.join('\n');
}

/** The freezer's own window: CRIU thaws the cgroup right after seizing the tasks, so it is at most a sample or two. */
function window(samples: readonly DumpSample[]): string {
  const m = med(samples, (s) => s.freezerMs);
  return m < 1 ? '< 1 ms' : `${m.toFixed(0)} ms`;
}

function pauseTable(r: BenchResults): string {
  const rows = [
    '| memory | CRIU frozen, agent | CRIU frozen, runc | pause seen, agent | pause seen, runc | freezer not THAWED, agent | freezer not THAWED, runc |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const c of r.compare) {
    rows.push(`| ${mib(c.mib)} | ${ms(med(c.agent, (s) => s.frozenMs))} ms | ${ms(med(c.runc, (s) => s.frozenMs))} ms | ` +
      `${ms(med(c.agent, (s) => s.pauseMs))} ms | ${ms(med(c.runc, (s) => s.pauseMs))} ms | ${window(c.agent)} | ${window(c.runc)} |`);
  }
  return rows.join('\n');
}

function throughputTable(r: BenchResults): string {
  const rows = [
    '| memory | compression | archive time | throughput (memory image / archive time) | archive size / memory image | CRIU frozen | agent dump wall |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const t of r.throughput) {
    const archiveMs = med(t.samples, (s) => s.archiveMs);
    const pageBytes = med(t.samples, (s) => s.pageBytes);
    const ratio = med(t.samples, (s) => (s.archiveBytes ?? 0) / (s.pageBytes ?? 1));
    rows.push(`| ${mib(t.mib)} ${t.content} | ${t.compression} | ${ms(archiveMs)} ms | ${(pageBytes / 1e6 / (archiveMs / 1000)).toFixed(0)} MB/s | ` +
      `${(ratio * 100).toFixed(ratio < 0.01 ? 2 : 1)} % | ${ms(med(t.samples, (s) => s.frozenMs))} ms | ${ms(med(t.samples, (s) => s.wallMs))} ms |`);
  }
  return rows.join('\n');
}

async function main(): Promise<void> {
  const rounds = Number(args.rounds);
  const sizes = args.sizes.split(',').map(Number);
  const tput = Number(args['throughput-mib']);
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const node = await TestNode.start();
  try {
    const versions = {
      criu: (await node.execOk(['criu', '--version'])).split('\n')[0] ?? '',
      runc: (await node.execOk(['runc', '--version'])).split('\n')[0] ?? '',
      kernel: (await node.execOk(['uname', '-r'])).trim(),
    };
    const compare = await startContainers(node, 'compare', sizes.map((m) => ({ mib: m, content: 'random' as const })));
    const throughput = await startContainers(node, 'archive', [{ mib: tput, content: 'random' }, { mib: tput, content: 'text' }]);
    for (const c of [...compare, ...throughput]) await ticksAfter(node, c.pid, await ticks(node, c.pid));
    const results = await runWorker(node, {
      runcRoot, base: `${shareInNode}/bench`, criuEnv: node.info.criuEnv, rounds, sizes: compare, throughput,
    });
    const loadAfter = loadavg().map((x) => x.toFixed(2)).join(' ');
    const report = [
      `Agent benchmark: median of ${rounds}, after one discarded warm-up dump of each kind per container.`,
      `${versions.criu}; ${versions.runc}; Linux ${versions.kernel}; load average ${load} before, ${loadAfter} after.`,
      'Memory: warm. The containers\' memory is random, touched by the workload at start and resident (VmRSS checked) before the first dump;',
      'before every measured dump the worker writes and deletes a file of the container\'s size where the images go, so that both tools find warm free memory for them.',
      '',
      compareTable(results),
      '',
      'What the application sees (CRIU frozen: from stats-dump; pause seen: first to last sample with the task in a tracing stop or its freezer not THAWED, sampled every 0.25 ms):',
      '',
      pauseTable(results),
      '',
      `Archive throughput, ${mib(tput)} containers:`,
      '',
      throughputTable(results),
    ].join('\n');
    process.stdout.write(`${report}\n`);
    if (args.json !== undefined) await writeFile(args.json, JSON.stringify({ versions, rounds, load, loadAfter, results }, null, 2));
    for (const c of [...compare, ...throughput]) await node.removeContainer(c.id);
  } finally {
    await node.stop();
  }
}

await main();
