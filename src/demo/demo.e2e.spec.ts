import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import { isolate, type Isolated } from '../../test/harness';
import { expectServedAndValid } from '../../test/fixtures/contracts';
import { dropSlotWhenInactive, readUntilAll, relaySlotName } from '../../test/fixtures/relay';
import { elasticsearchClient } from '../clients';
import { loadConfig } from '../config';
import { roleNames } from '../db/roles';
import { verifyPipeline } from '../verify';

/**
 * `tributary demo --exit-after-tour` as a user runs it, against the running stack with this file's own
 * database, topic and index prefixes, slot and ports: it completes its tour in under five minutes, every
 * section shows real content, the fulfilment saga ends the tour's two orders as completed and compensated,
 * the stock adds up, it exits 0, and no process it started is left behind.
 */

const ROOT = resolve(__dirname, '../..');
const FIVE_MINUTES_MS = 5 * 60_000;

let env: Isolated;
let slot: string;
let logDir: string;
let httpPort: number;
let run: { code: number | null; stdout: string; stderr: string; durationMs: number };

async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    servers.push(server);
    ports.push((server.address() as { port: number }).port);
  }
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

beforeAll(async () => {
  env = await isolate(__filename);
  slot = relaySlotName(env.name, 'demo');
  logDir = mkdtempSync(join(tmpdir(), 'tributary-demo-'));
  const [http, relayMetrics, searchMetrics, reportingMetrics, sagaMetrics, gateway] = await freePorts(6);
  httpPort = http!;
  const started = Date.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--exit-after-tour', '--logs', logDir],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: env.config.databaseUrl,
        TOPIC_PREFIX: env.config.topicPrefix,
        INDEX_PREFIX: env.config.indexPrefix,
        RELAY_SLOT: slot,
        // Roles belong to the whole cluster: this file's own, dropped after its database.
        DB_ROLE_PREFIX: `${env.name}_`,
        HTTP_PORT: String(http),
        RELAY_METRICS_PORT: String(relayMetrics),
        SEARCH_METRICS_PORT: String(searchMetrics),
        REPORTING_METRICS_PORT: String(reportingMetrics),
        SAGA_METRICS_PORT: String(sagaMetrics),
        PAYMENT_GATEWAY_URL: `http://127.0.0.1:${gateway}`,
        PAYMENT_GATEWAY_KEY_FILE: join(logDir, 'payment-gateway.key'),
        // Authentication on (the default), with this run's own local issuer.
        AUTH_MODE: 'both',
        AUTH_LOCAL_DIR: join(logDir, 'auth'),
      },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  run = { code, stdout, stderr, durationMs: Date.now() - started };
}, FIVE_MINUTES_MS + 60_000);

afterAll(async () => {
  const pool = new Pool({ connectionString: env.config.databaseUrl, max: 1 });
  // Cleanup: a demo that failed early leaves no slot (or groups) to drop.
  await dropSlotWhenInactive(pool, slot).catch(() => undefined);
  await pool.end();
  const admin = env.kafka().admin();
  await admin.connect();
  const groups = (await admin.listGroups()).groups
    .map((group) => group.groupId)
    .filter((groupId) => groupId.startsWith(env.config.topicPrefix));
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
  env.elasticsearch(); // so cleanup deletes this file's indices too
  await env.cleanup();
  const cluster = new Pool({
    connectionString: env.config.databaseUrl.replace(`/${env.name}`, '/postgres'),
    max: 1,
  });
  for (const name of Object.values(roleNames(`${env.name}_`)))
    await cluster.query(`drop role if exists "${name}"`);
  await cluster.end();
  rmSync(logDir, { recursive: true, force: true });
});

/** The lines of the tour section whose heading starts with `title` (up to the next heading). */
function section(title: string): string[] {
  const lines = run.stdout.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`── ${title}`));
  if (start < 0) throw new Error(`no section '${title}' in:\n${run.stdout}\n${run.stderr}`);
  const end = lines.findIndex((line, i) => i > start && (line.startsWith('── ') || line === ''));
  return lines.slice(start, end < 0 ? undefined : end);
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

it('the demo command completes its tour in under 5 minutes and exits 0', () => {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.durationMs).toBeLessThan(FIVE_MINUTES_MS);
  expect(run.stdout).toMatch(/commands in [\d.]+ s \(\d+\/s\): \d+ accepted .* 0 failed/);
  expect(run.stdout).toMatch(/both read models hold every command/);
  expect(run.stdout).toMatch(/Tour done in/);
});

it('runs each component under its own PostgreSQL role, none of them falling back to one role', () => {
  expect(run.stdout).toContain(`roles ${env.name}_*`);
  const logs = readdirSync(logDir)
    .filter((file) => /^demo-.*\.log$/.test(file))
    .map((file) => readFileSync(join(logDir, file), 'utf8'));
  expect(logs.length).toBeGreaterThanOrEqual(6);
  for (const log of logs) expect(log).not.toContain('runs with one role');
});

it('runs the API and the search projector as their own Elasticsearch users', () => {
  // Both would have logged refusals (on stderr, which the first test finds empty) had a user not worked.
  expect(run.stdout).toContain('elastic    users api as tributary-api, search as tributary-search');
  expect(run.stdout).toContain('ELASTICSEARCH_USERNAME=tributary-verify npm run tributary -- verify');
});

it('the tour shows a search hit, a report row, a history, an earlier state and the pipeline lag', () => {
  const search = section('Search: GET /search/orders?q=tea&status=confirmed');
  expect(search.join('\n')).toMatch(/[1-9]\d* confirmed orders mention "tea"/);
  expect(search.some((line) => new RegExp(`^ {3}${UUID} .* [A-Z]{3} [\\d,]+\\.\\d\\d `).test(line))).toBe(
    true,
  );

  const report = section('Report: GET /reports/daily?from=');
  expect(
    report.some((line) =>
      /^ {3}\d{4}-\d\d-\d\d {2}(pending|confirmed|cancelled) +[1-9]\d* +[A-Z]{3} /.test(line),
    ),
  ).toBe(true);
  expect(
    section('Top sellers').filter((line) => /^ {3}[A-Z]+-\S+ .* sold /.test(line)).length,
  ).toBeGreaterThan(0);

  const history = section('History of one order').filter((line) =>
    /^ {3}v\d+ {2}\d{4}-\d\d-\d\dT\S+Z {2}Order\w+/.test(line),
  );
  expect(history.length).toBeGreaterThanOrEqual(2);
  expect(history[0]).toMatch(/^ {3}v1 .*OrderCreated/);

  const asOf = section('As of an earlier time: GET /orders/').join('\n');
  expect(asOf).toMatch(/then: version 1 · pending · \d+ lines? · [A-Z]{3} [\d,]+\.\d\d/);
  expect(asOf).toMatch(/now: {2}version [2-9]\d* · \w+/);

  const lag = section('Pipeline lag').join('\n');
  expect(lag).toMatch(new RegExp(`relay +slot ${slot} active · \\d+ bytes of WAL not yet confirmed`));
  expect(lag).toMatch(/search +0 messages behind on Kafka .* lag 0 ms/);
  expect(lag).toMatch(/reporting +0 messages behind on Kafka .* lag 0 ms/);

  expect(section('Try next').join('\n')).toMatch(/OpenAPI .*\/docs/);
  expect(section('Try next').join('\n')).toMatch(
    /TOKEN=\$\(npm run -s tributary -- auth token .*\n.*curl -s -H "Authorization: Bearer \$TOKEN" /,
  );
});

it('runs with authentication on: the workload is a service with an API key; it and the saga are the only actors', async () => {
  expect(run.stdout).toMatch(
    / {3}auth +the workload sends API key trb_[0-9a-f]{12} \(client tributary-demo, role admin\)/,
  );
  const pool = new Pool({ connectionString: env.config.databaseUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ actor: string }>(
      `select distinct metadata->>'actor' as actor from events order by actor`,
    );
    expect(rows).toEqual([{ actor: 'apikey:tributary-demo' }, { actor: 'saga' }]);
  } finally {
    await pool.end();
  }
});

it('publishes every event with a dataschema the API serves, its data matching that schema', async () => {
  const pool = new Pool({ connectionString: env.config.databaseUrl, max: 1 });
  const { rows } = await pool
    .query<{ id: string }>('select event_id::text as id from events')
    .finally(() => pool.end());
  expect(rows.length).toBeGreaterThan(100);
  const topics = ['order', 'payment', 'inventory'].map((type) => `${env.config.topicPrefix}${type}`);
  const records = await readUntilAll(
    env.kafka(),
    topics,
    rows.map((row) => row.id),
  );
  expect(records.map((record) => record.id).sort()).toEqual(rows.map((row) => row.id).sort());
  // The demo's settings: its API's URL is the base of every dataschema.
  const config = loadConfig({
    ...process.env,
    HTTP_PORT: String(httpPort),
    TOPIC_PREFIX: env.config.topicPrefix,
  });
  const served = await expectServedAndValid(records, config);
  expect(served.some((uri) => uri.endsWith('/order/OrderConfirmed/v1.json'))).toBe(true);
}, 120_000);

/** The tour's two orders, as the demo announced them before the workload. */
function tourOrders(): { completed: string; declined: string } {
  const match = new RegExp(`the tour's orders: (${UUID}) to complete, (${UUID}) whose capture`).exec(
    run.stdout,
  );
  if (!match) throw new Error(`no tour orders in:\n${run.stdout}`);
  return { completed: match[1]!, declined: match[2]! };
}

type StoredEvent = {
  id: string;
  type: string;
  data: Record<string, unknown>;
  actor: string;
  cause: string | null;
};

async function storedHistory(pool: Pool, orderId: string): Promise<StoredEvent[]> {
  const { rows } = await pool.query<StoredEvent>(
    `select event_id::text as id, event_type as type, data, metadata->>'actor' as actor,
            metadata->>'causationId' as cause
       from events where stream_id = $1 order by stream_version`,
    [`order-${orderId}`],
  );
  return rows;
}

const stepsOf = (lines: string[]) =>
  lines
    .map((line) => /^ {3}\d{4}-\d\d-\d\dT\S+Z +\+[\d.]+ s +(\S+) +(\S+)/.exec(line))
    .filter((m) => m !== null)
    .map((m) => `${m[1]} ${m[2]}`);

it('the saga completes one tour order (ready to ship, by the saga, caused by its confirmation)', async () => {
  const { completed } = tourOrders();
  const tour = section(`Fulfilment of an order the saga completed: GET /orders/${completed}/fulfilment`);
  expect(tour[1]).toMatch(/^ {3}completed · [A-Z]{3} [\d,]+\.\d\d · [\d.]+ s$/);
  expect(stepsOf(tour)).toEqual([
    'started done',
    'reserve done',
    'reserve done',
    'capture done',
    'record-payment done',
    'commit-reservations done',
    'ready-to-ship done',
  ]);
  const pool = new Pool({ connectionString: env.config.databaseUrl, max: 1 });
  try {
    const history = await storedHistory(pool, completed);
    const confirmed = history.find((event) => event.type === 'OrderConfirmed')!;
    const ready = history.find((event) => event.type === 'OrderReadyToShip');
    expect(ready).toMatchObject({ actor: 'saga', cause: confirmed.id });
    const { rows } = await pool.query('select state from sagas where order_id = $1', [completed]);
    expect(rows).toEqual([{ state: 'completed' }]);
  } finally {
    await pool.end();
  }
  const shown = section(`Its history, with who did what and why: GET /orders/${completed}/history`).join(
    '\n',
  );
  expect(shown).toMatch(new RegExp(`OrderReadyToShip +by saga · caused by v\\d+ OrderConfirmed ${UUID}`));
});

it('the saga compensates the tour order whose capture the gateway declined: released, cancelled with the reason', async () => {
  const { declined } = tourOrders();
  const reason = 'payment declined: The card issuer declined the payment.';
  const tour = section(
    `Fulfilment of an order whose payment was declined: GET /orders/${declined}/fulfilment`,
  );
  expect(tour[1]).toContain(`compensated · `);
  expect(tour[1]).toContain(`reason "${reason}"`);
  expect(stepsOf(tour)).toEqual([
    'started done',
    'reserve done',
    'reserve done',
    'capture failed',
    'release compensation',
    'release compensation',
    'cancel-order compensation',
  ]);
  const pool = new Pool({ connectionString: env.config.databaseUrl, max: 1 });
  try {
    const history = await storedHistory(pool, declined);
    const confirmed = history.find((event) => event.type === 'OrderConfirmed')!;
    const cancelled = history.find((event) => event.type === 'OrderCancelled');
    expect(cancelled).toMatchObject({ actor: 'saga', cause: confirmed.id, data: { reason } });
    expect(history.map((event) => event.type)).not.toContain('OrderReadyToShip');
    const { rows } = await pool.query(
      `select state, data->>'reason' as reason from sagas where order_id = $1`,
      [declined],
    );
    expect(rows).toEqual([{ state: 'compensated', reason }]);
  } finally {
    await pool.end();
  }
  const shown = section(`Its history, with who did what and why: GET /orders/${declined}/history`).join('\n');
  expect(shown).toMatch(
    new RegExp(
      `OrderCancelled +by saga · caused by v\\d+ OrderConfirmed ${UUID} "${reason.replace('.', '\\.')}"`,
    ),
  );
});

it('every saga ended, and the stock the API shows is what was received less what was committed', async () => {
  expect(run.stdout).toMatch(/every saga ended [\d.]+ s after the last answer: .*\d+ completed/);
  const stock = section('Stock: GET /inventory/:sku')
    .map((line) => /^ {3}([A-Z]+-\S+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)$/.exec(line))
    .filter((m) => m !== null)
    .map(([, sku, committed, onHand, reserved, available, open]) => ({
      sku: sku!,
      committed: Number(committed),
      onHand: Number(onHand),
      reserved: Number(reserved),
      available: Number(available),
      open: Number(open),
    }));
  expect(stock).toHaveLength(17);
  const pool = new Pool({ connectionString: env.config.databaseUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ sku: string; received: number; committed: number }>(
      `select data->>'sku' as sku,
              sum((data->>'quantity')::int) filter (where event_type = 'StockReceived')::int as received,
              coalesce(sum((data->>'quantity')::int) filter (where event_type = 'ReservationCommitted'), 0)::int
                as committed
         from events where stream_type = 'inventory' group by 1`,
    );
    const stored = new Map(rows.map((row) => [row.sku, row]));
    for (const shown of stock) {
      const { received, committed } = stored.get(shown.sku)!;
      expect({ sku: shown.sku, committed: shown.committed, onHand: shown.onHand }).toEqual({
        sku: shown.sku,
        committed,
        onHand: received - committed,
      });
      // Nothing is held for a saga that ended, and every saga ended.
      expect({ reserved: shown.reserved, open: shown.open, available: shown.available }).toEqual({
        reserved: 0,
        open: 0,
        available: shown.onHand,
      });
    }
    expect(stock.reduce((sum, s) => sum + s.committed, 0)).toBeGreaterThan(0);
    const running = await pool.query(`select 1 from sagas where state in ('reserving', 'capturing')`);
    expect(running.rowCount).toBe(0);
  } finally {
    await pool.end();
  }
});

it('leaves no process it started running', () => {
  const pids = [
    ...run.stdout.matchAll(/^ {3}(?:api|relay|search|reporting|gateway|saga) +.*\(pid (\d+), /gm),
  ].map((m) => Number(m[1]));
  expect(pids).toHaveLength(6);
  const running = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  expect(running.filter((line) => pids.includes(Number(line.split(' ')[0])))).toEqual([]);
  // Nothing else with this file's environment either (whatever pid it had).
  const ours = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(
          `TOPIC_PREFIX=${env.config.topicPrefix}`,
        );
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .filter((pid) => Number(pid) !== process.pid);
  expect(ours).toEqual([]);
});

it('what the demo wrote is consistent end to end (verify passes, as the read-only Elasticsearch user)', async () => {
  const pool = new Pool({ connectionString: env.config.databaseUrl, max: 2 });
  const es = elasticsearchClient(loadConfig({ ...process.env, ELASTICSEARCH_USERNAME: 'tributary-verify' }));
  try {
    const report = await verifyPipeline({
      pool,
      kafka: env.kafka(),
      es,
      topicPrefix: env.config.topicPrefix,
      indexPrefix: env.config.indexPrefix,
    });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  } finally {
    await pool.end();
    await es.close();
  }
});
