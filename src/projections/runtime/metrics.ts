import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A projector's Prometheus metrics, labelled by projector, on their own registry. */
export function projectorMetrics(projector: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ projector });
  collectDefaultMetrics({ register: registry, prefix: 'tributary_projector_' });
  return {
    registry,
    eventsApplied: new Counter({
      name: 'tributary_projector_events_applied_total',
      help: 'Events applied to the read model (duplicates included: applying them changes nothing)',
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'tributary_projector_dead_letters_total',
      help: 'Messages dead-lettered (poison, or behind a parked aggregate)',
      registers: [registry],
    }),
    batches: new Counter({
      name: 'tributary_projector_batches_total',
      help: 'Batches applied and committed',
      registers: [registry],
    }),
    retries: new Counter({
      name: 'tributary_projector_retries_total',
      help: 'Failed attempts to apply, by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    lagMessages: new Gauge({
      name: 'tributary_projector_lag_messages',
      help: 'Messages on Kafka not yet applied, per partition, as of its last batch',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    lagSeconds: new Gauge({
      name: 'tributary_projector_lag_seconds',
      help: 'Age of the newest applied event when it was applied',
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'tributary_projector_batch_seconds',
      help: 'Time to apply and commit one batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

export type ProjectorMetrics = ReturnType<typeof projectorMetrics>;
