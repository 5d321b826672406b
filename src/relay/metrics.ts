import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The relay's Prometheus metrics, on their own registry so tests can create several relays. */
export function relayMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tributary_relay_' });
  return {
    registry,
    eventsPublished: new Counter({
      name: 'tributary_relay_events_published_total',
      help: 'Outbox entries acknowledged by Kafka',
      registers: [registry],
    }),
    batchesPublished: new Counter({
      name: 'tributary_relay_batches_published_total',
      help: 'Batches acknowledged by Kafka',
      registers: [registry],
    }),
    errors: new Counter({
      name: 'tributary_relay_errors_total',
      help: 'Errors that ended a replication session',
      labelNames: ['kind'],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'tributary_relay_dead_letters_total',
      help: 'Records written to relay_dead_letters instead of Kafka: too_large, invalid, or parked behind one',
      labelNames: ['kind'],
      registers: [registry],
    }),
    reconnects: new Counter({
      name: 'tributary_relay_reconnects_total',
      help: 'Replication sessions restarted after an error',
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'tributary_relay_in_flight_events',
      help: 'Entries decoded from the WAL and not yet acknowledged by Kafka',
      registers: [registry],
    }),
    slotLagBytes: new Gauge({
      name: 'tributary_relay_slot_lag_bytes',
      help: 'WAL bytes between the current position and the slot confirmed position',
      registers: [registry],
    }),
    commitToAckSeconds: new Histogram({
      name: 'tributary_relay_commit_to_kafka_ack_seconds',
      help: 'From the PostgreSQL commit to the Kafka acknowledgement of its events',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

export type RelayMetrics = ReturnType<typeof relayMetrics>;
