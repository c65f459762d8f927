// The measuring half of bench/agent.ts. Runs inside the node (its mount
// namespace and root, the host PID namespace: where the agent runs) and
// dumps the same containers, in the same run, two ways:
//   - the agent's pipeline (src/agent/pipeline/container-dump.ts), the code
//     the agent process runs for each container of a checkpoint;
//   - `runc --root <containerd's runc root> checkpoint --leave-running`.
// Prints one JSON document (BenchResults) on stdout; progress on stderr.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Compression } from '../src/api/checkpoint-options.ts';
import { ArchiveRoot } from '../src/agent/archive/archive-root.ts';
import { dumpContainer } from '../src/agent/pipeline/container-dump.ts';
import { decodeDumpStats, type DumpStats } from '../src/criu/stats.ts';
import { readRuncState } from '../src/runc/state.ts';
import { startPauseSampler, type PauseSample } from './pause-sampler.ts';

export interface BenchContainer {
  id: string;
  pid: number;
  mib: number;
  content: 'random' | 'text';
}

export interface WorkerConfig {
  runcRoot: string;
  /** Scratch directory in the node (images, archives). */
  base: string;
  criuEnv: Record<string, string>;
  rounds: number;
  /** Containers for the agent-vs-runc comparison (random memory). */
  sizes: BenchContainer[];
  /** Containers for archive throughput (random and text memory). */
  throughput: BenchContainer[];
}

export interface DumpSample extends PauseSample {
  /** Wall time of the dump part (agent: resolve to CRIU done; runc: the process). */
  wallMs: number;
  /** CRIU's frozen time from stats-dump. */
  frozenMs: number;
  /** CRIU's time to freeze the cgroup (a 100 ms step when the first poll misses). */
  freezingMs: number;
  /** CRIU's time collecting and writing memory pages. */
  memdumpMs: number;
  memwriteMs: number;
  /** Agent only: archive time and the whole job (dump + archive). */
  archiveMs?: number;
  jobMs?: number;
  /** Agent only: archive size and the memory CRIU wrote. */
  archiveBytes?: number;
  pageBytes?: number;
}

export interface BenchResults {
  compare: { mib: number; agent: DumpSample[]; runc: DumpSample[] }[];
  throughput: { mib: number; content: string; compression: Compression; samples: DumpSample[] }[];
}

const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };

function criuTimes(s: DumpStats): Pick<DumpSample, 'frozenMs' | 'freezingMs' | 'memdumpMs' | 'memwriteMs'> {
  return { frozenMs: s.frozenTimeUs / 1000, freezingMs: s.freezingTimeUs / 1000, memdumpMs: s.memdumpTimeUs / 1000, memwriteMs: s.memwriteTimeUs / 1000 };
}

async function freezerStateFile(runcRoot: string, id: string): Promise<string> {
  const { state } = await readRuncState(runcRoot, id);
  const v1 = state.cgroupPaths.freezer;
  if (v1 === undefined) throw new Error(`container ${id} has no v1 freezer`);
  return join(v1, 'freezer.state');
}

class Bench {
  private readonly cfg: WorkerConfig;
  private readonly root: ArchiveRoot;
  private n = 0;

  constructor(cfg: WorkerConfig, root: ArchiveRoot) {
    this.cfg = cfg;
    this.root = root;
  }

  /**
   * Writes and deletes a file of the container's size where the images go,
   * right before a measured dump. These VMs hand free memory back to their
   * host and the first touch of it is slow; what one dump frees (images,
   * archive) would otherwise warm the next dump's page cache, and whoever
   * follows the bigger writer would win. Both tools get the same start.
   */
  async warm(c: BenchContainer): Promise<void> {
    const file = join(this.cfg.base, 'warm');
    await writeFile(file, Buffer.alloc((c.mib + 16) << 20));
    await rm(file, { force: true });
  }

  async agent(c: BenchContainer, compression: Compression): Promise<DumpSample> {
    await this.warm(c);
    const dir = `bench/${c.id}-${++this.n}`;
    const sampler = await startPauseSampler(c.pid, await freezerStateFile(this.cfg.runcRoot, c.id));
    const outcome = await dumpContainer({
      root: this.root, runcRoot: this.cfg.runcRoot, containerId: c.id, checkpointDir: dir, owner: 'bench',
      identity: { name: 'app', podName: 'bench', podNamespace: 'bench', podUID: '', image: 'ckpt.dev/workload:latest', imageRef: '' },
      options: {}, compression, runner: { command: ['criu'], env: this.cfg.criuEnv }, timeoutMs: 600_000,
    }).then((r) => ({ r }), (err: unknown) => ({ err }));
    const pause = await sampler.stop();
    if ('err' in outcome) throw outcome.err;
    const { r } = outcome;
    await this.root.remove(dir);
    if (r.stats === undefined) throw new Error('the agent dump wrote no statistics');
    return {
      ...pause, ...criuTimes(r.stats), wallMs: r.dumpMillis, archiveMs: r.archiveMillis, jobMs: r.dumpMillis + r.archiveMillis,
      archiveBytes: Number(r.archive.sizeBytes), pageBytes: Number(r.stats.pagesWritten) * 4096,
    };
  }

  async runc(c: BenchContainer): Promise<DumpSample> {
    await this.warm(c);
    const dir = join(this.cfg.base, 'runc', `${c.id}-${++this.n}`);
    const images = join(dir, 'images');
    const work = join(dir, 'work');
    await mkdir(images, { recursive: true, mode: 0o700 });
    await mkdir(work, { mode: 0o700 });
    const sampler = await startPauseSampler(c.pid, await freezerStateFile(this.cfg.runcRoot, c.id));
    const started = performance.now();
    const exit = await new Promise<{ code: number | null; err: string }>((resolve, reject) => {
      const child = spawn('runc', ['--root', this.cfg.runcRoot, 'checkpoint', '--leave-running', '--image-path', images, '--work-path', work, c.id], {
        stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...this.cfg.criuEnv },
      });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
      child.once('error', reject);
      child.once('exit', (code) => { resolve({ code, err }); });
    });
    const wallMs = performance.now() - started;
    const pause = await sampler.stop();
    if (exit.code !== 0) throw new Error(`runc checkpoint failed (${String(exit.code)}): ${exit.err}`);
    const stats = decodeDumpStats(await readFile(join(work, 'stats-dump')));
    await rm(dir, { recursive: true, force: true });
    return { ...pause, ...criuTimes(stats), wallMs };
  }
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
  await mkdir(cfg.base, { recursive: true, mode: 0o700 });
  const bench = new Bench(cfg, await ArchiveRoot.open(join(cfg.base, 'archives')));
  const results: BenchResults = { compare: [], throughput: [] };

  // Rounds go round-robin over containers and compressions, so that a burst
  // of load from elsewhere on the machine spreads over all of them.
  for (const c of cfg.sizes) {
    log(`${c.mib} MiB: warm-up`);
    await bench.agent(c, 'Zstd');
    await bench.runc(c);
    results.compare.push({ mib: c.mib, agent: [], runc: [] });
  }
  for (let i = 0; i < cfg.rounds; i++) {
    for (const [k, c] of cfg.sizes.entries()) {
      const entry = results.compare[k];
      if (entry === undefined) continue;
      // Alternate who goes first, so that neither always meets the other's leftovers.
      if (i % 2 === 0) {
        entry.agent.push(await bench.agent(c, 'Zstd'));
        entry.runc.push(await bench.runc(c));
      } else {
        entry.runc.push(await bench.runc(c));
        entry.agent.push(await bench.agent(c, 'Zstd'));
      }
      log(`${c.mib} MiB round ${i + 1}: agent ${entry.agent.at(-1)?.wallMs.toFixed(0) ?? '?'} ms, runc ${entry.runc.at(-1)?.wallMs.toFixed(0) ?? '?'} ms`);
    }
  }

  for (const c of cfg.throughput) {
    await bench.agent(c, 'None');
    for (const compression of ['None', 'Gzip', 'Zstd'] as const) results.throughput.push({ mib: c.mib, content: c.content, compression, samples: [] });
  }
  for (let i = 0; i < cfg.rounds; i++) {
    for (const t of results.throughput) {
      const c = cfg.throughput.find((x) => x.content === t.content && x.mib === t.mib);
      if (c === undefined) continue;
      t.samples.push(await bench.agent(c, t.compression));
      log(`${c.mib} MiB ${c.content} ${t.compression} round ${i + 1}: archive ${(t.samples.at(-1)?.archiveMs ?? 0).toFixed(0)} ms`);
    }
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

await main();
