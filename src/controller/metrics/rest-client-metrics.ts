// client-go's REST client metrics (same names), fed by KubeClient's
// onResponse hook: what the process asks of the API server, by method and
// answer. They show a follower that writes nothing, and the request rate a
// burst of checkpoints costs.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ResponseRecord } from '../../runtime/kube/kube-client.ts';

export class RestClientMetrics {
  readonly requests: Counter<'code' | 'method'>;
  readonly duration: Histogram<'verb'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'rest_client_requests_total', help: 'Number of HTTP requests, partitioned by status code and method',
      labelNames: ['code', 'method'], registers,
    });
    this.duration = new Histogram({
      name: 'rest_client_request_duration_seconds', help: 'Request latency in seconds, by verb (watches: until the response headers)',
      labelNames: ['verb'], registers,
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    });
  }

  observe(r: ResponseRecord): void {
    // client-go labels a request that got no answer with code "<error>".
    this.requests.inc({ code: r.code === undefined ? '<error>' : String(r.code), method: r.method });
    this.duration.observe({ verb: r.method }, r.durationMs / 1000);
  }
}
