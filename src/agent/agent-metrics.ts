// The agent's Prometheus metrics: dumps by result and reason, where the time
// goes (CRIU, frozen, archive), archive bytes, and dumps in flight.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DumpStats } from '../criu/stats.ts';

const timeBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class AgentMetrics {
  readonly dumps: Counter<'result' | 'reason'>;
  readonly inFlight: Gauge;
  readonly dumpSeconds: Histogram;
  readonly archiveSeconds: Histogram<'compression'>;
  readonly archiveBytes: Counter<'compression'>;
  readonly frozenSeconds: Histogram;
  readonly freezingSeconds: Histogram;
  readonly memdumpSeconds: Histogram;
  readonly memwriteSeconds: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.dumps = new Counter({ name: 'ckpt_agent_container_dumps_total', help: 'Container dumps by result (succeeded, failed) and reason', labelNames: ['result', 'reason'], registers });
    this.inFlight = new Gauge({ name: 'ckpt_agent_checkpoints_in_flight', help: 'Checkpoints this agent is running now', registers });
    this.dumpSeconds = new Histogram({ name: 'ckpt_agent_criu_dump_seconds', help: 'Wall time of CRIU dumps', buckets: timeBuckets, registers });
    this.archiveSeconds = new Histogram({ name: 'ckpt_agent_archive_seconds', help: 'Time to write an archive after the dump', labelNames: ['compression'], buckets: timeBuckets, registers });
    this.archiveBytes = new Counter({ name: 'ckpt_agent_archive_bytes_total', help: 'Bytes of archives written', labelNames: ['compression'], registers });
    const criu = (name: string, help: string): Histogram => new Histogram({ name: `ckpt_agent_criu_${name}_seconds`, help, buckets: timeBuckets, registers });
    this.freezingSeconds = criu('freezing', 'CRIU: time to freeze a container');
    this.frozenSeconds = criu('frozen', 'CRIU: time a container stayed frozen');
    this.memdumpSeconds = criu('memdump', 'CRIU: time to collect memory pages');
    this.memwriteSeconds = criu('memwrite', 'CRIU: time to write memory pages');
  }

  observeStats(s: DumpStats): void {
    this.freezingSeconds.observe(s.freezingTimeUs / 1e6);
    this.frozenSeconds.observe(s.frozenTimeUs / 1e6);
    this.memdumpSeconds.observe(s.memdumpTimeUs / 1e6);
    this.memwriteSeconds.observe(s.memwriteTimeUs / 1e6);
  }
}
