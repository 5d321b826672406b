-- Raw PostgreSQL doing what one Tributary append of 1 event does (OUTBOX_MODE=table), on the schema of
-- migrations/: move the stream version, insert the event, insert its outbox row, in one transaction.
-- Variables from bench/append.ts (-D): clients, streams_per_client. Each client writes its own share of the
-- streams (stream id = client_id + clients * k), as the Tributary appenders do. The event data literal is
-- bench/lib/payload.ts's BENCH_EVENT_DATA.
\set sid :client_id + :clients * random(0, :streams_per_client - 1)
BEGIN;
INSERT INTO streams (stream_id, stream_type, version)
  VALUES ('bench-' || :sid, 'bench', 1)
  ON CONFLICT (stream_id) DO UPDATE SET version = streams.version + 1, updated_at = now()
  RETURNING version AS v \gset
INSERT INTO events (stream_id, stream_type, stream_version, event_id, event_type, schema_version, data,
                    metadata, occurred_at)
  VALUES ('bench-' || :sid, 'bench', :v::bigint, gen_random_uuid(), 'BenchEvent', 1,
          '{"orderId":"bench-order","line":{"sku":"SKU-000042","name":"Blue widget, large","quantity":2,"unitPrice":1250},"addedAt":"2026-11-23T12:00:00.000Z"}',
          '{}', now());
INSERT INTO outbox (id, aggregate_type, aggregate_id, stream_version, event_type, schema_version, payload,
                    headers)
  VALUES (gen_random_uuid(), 'bench', 'bench-' || :sid, :v::bigint, 'BenchEvent', 1,
          '{"change":{"orderId":"bench-order","line":{"sku":"SKU-000042","name":"Blue widget, large","quantity":2,"unitPrice":1250},"addedAt":"2026-11-23T12:00:00.000Z"}}',
          '{"occurredAt":"2026-11-23T12:00:00.000Z"}');
COMMIT;
