import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The saga process's Prometheus metrics, on their own registry. */
export function sagaMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tributary_saga_' });
  const ended = (name: string, help: string) =>
    new Counter({ name: `tributary_saga_${name}_total`, help, registers: [registry] });
  return {
    registry,
    started: ended('started', 'Sagas started (an OrderConfirmed consumed for the first time)'),
    completed: ended('completed', 'Sagas completed: paid, stock committed, order ready to ship'),
    compensated: ended(
      'compensated',
      'Sagas compensated: out of stock, declined or cancelled by the customer',
    ),
    timedOut: ended('timed_out', 'Sagas whose payment was not captured in time'),
    duplicates: ended('duplicates', 'Events consumed again and ignored (already applied)'),
    deadLetters: ended(
      'dead_letters',
      'Messages sent to the dead-letter topic: not an order event, or a step that failed for a reason no retry cures',
    ),
    failures: new Counter({
      name: 'tributary_saga_failures_total',
      help: 'Failed attempts at a step, by step and error code (the step is tried again)',
      labelNames: ['step', 'code'],
      registers: [registry],
    }),
    stepSeconds: new Histogram({
      name: 'tributary_saga_step_seconds',
      help: 'Time one step took, its transaction and gateway calls included',
      labelNames: ['step'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    sagaSeconds: new Histogram({
      name: 'tributary_saga_duration_seconds',
      help: 'From the saga start (order confirmed and consumed) to its end, by final state',
      labelNames: ['state'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers: [registry],
    }),
  };
}

export type SagaMetrics = ReturnType<typeof sagaMetrics>;
