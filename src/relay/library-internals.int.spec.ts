import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import type { Client } from 'pg';
import { isolate, type Isolated } from '../../test/harness';

/**
 * The relay pauses the replication connection's socket through pg-logical-replication's private
 * `_connection.stream` (src/relay/session.ts): the library has no public way to stop reading while Kafka is
 * behind. This test proves, against the real PostgreSQL, that the private field is still there and that pausing
 * it really stops the flow, so an upgrade that renames or replaces it fails here, loudly, instead of letting the
 * relay buffer without bound.
 */

type Internals = { _connection?: { stream?: { pause?: unknown; resume?: unknown } } };

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let env: Isolated;
let pg: Client;
let service: LogicalReplicationService | undefined;
const slot = `internals_${process.pid}`;

beforeAll(async () => {
  env = await isolate(__filename);
  pg = await env.pg();
  await pg.query('create table rows (id int primary key)');
  await pg.query('create publication internals_pub for table rows');
  await pg.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
});

afterAll(async () => {
  await service?.destroy();
  await pg.query('select pg_drop_replication_slot($1)', [slot]).catch(() => undefined); // already gone is fine
  await env.cleanup();
});

it('pg-logical-replication still exposes the replication socket as _connection.stream, and pausing it stops the flow', async () => {
  const received: string[] = [];
  service = new LogicalReplicationService(
    { connectionString: env.config.databaseUrl },
    { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
  );
  service.on('data', (_lsn: string, message: Pgoutput.Message) => {
    received.push(message.tag);
  });
  service.on('error', () => undefined); // the connection ends with the test
  const started = new Promise<void>((resolve) => service!.once('start', () => resolve()));
  void service.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: ['internals_pub'] }), slot);
  await started;

  const stream = (service as unknown as Internals)._connection?.stream;
  expect(typeof stream?.pause).toBe('function');
  expect(typeof stream?.resume).toBe('function');

  (stream!.pause as () => void).call(stream);
  await pg.query('insert into rows values (1)');
  await wait(750);
  expect(received).toEqual([]);

  (stream!.resume as () => void).call(stream);
  for (let i = 0; i < 50 && !received.includes('commit'); i++) await wait(100);
  expect(received).toEqual(['begin', 'relation', 'insert', 'commit']);
});
