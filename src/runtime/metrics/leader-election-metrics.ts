// client-go's leader-election gauge under the name controller-runtime exports.
import { Gauge, type Registry } from 'prom-client';

export class LeaderElectionMetrics {
  private readonly status: Gauge<'name'>;

  constructor(registry: Registry) {
    this.status = new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. '
        + '\'name\' is the string used to identify the lease. Please make sure to group by name.',
      labelNames: ['name'],
      registers: [registry],
    });
  }

  leading(name: string, isLeader: boolean): void {
    this.status.set({ name }, isLeader ? 1 : 0);
  }
}
