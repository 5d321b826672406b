import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { Pool } from 'pg';
import { packedTarball } from './fixtures/packed';
import { dropSlotWhenInactive, eventually } from './fixtures/relay';
import { isolate, type Isolated } from './harness';

/**
 * examples/typeorm-shop as its team runs it, against the real PostgreSQL and Kafka (SASL_SSL): the packed
 * package installed into the example's own node_modules (its package.json names the tarball; no path into
 * src/), the example compiled with its own tsconfig, TypeORM's CLI running Tributary's migrations and the
 * shop's from the shop's DataSource, `npx tributary setup`, the shop's HTTP API (`npm start`) and
 * `npx tributary relay` as the stack's relay user, all from the example's folder with the settings of its
 * shop.env. What reaches Kafka is read back as CloudEvents.
 */

const root = resolve(__dirname, '..');
const shop = join(root, 'examples', 'typeorm-shop');
const INSTALL_AND_START_MS = 300_000;
/** A test waits up to 60 s for the relay to publish. */
const PUBLISHED_MS = 90_000;

/** KEY=VALUE lines of the example's shop.env (comments and blank lines left out). */
function shopEnv(): Record<string, string> {
  const lines = readFileSync(join(shop, 'shop.env'), 'utf8').split('\n');
  const pairs = lines.filter((line) => /^[A-Z_]+=/.test(line)).map((line) => line.split(/=(.*)/s));
  return Object.fromEntries(pairs.map(([key, value]) => [key!, value!.trim()]));
}

let db: Isolated;
let env: NodeJS.ProcessEnv;
let pool: Pool;
let consumer: Consumer;
const received: KafkaMessage[] = [];
const processes: ChildProcess[] = [];
let api: string;

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { cwd: shop, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts a long-running command of the example in its own process group; resolves on a line matching `ready`. */
async function start(args: string[], settings: Record<string, string>, ready: RegExp): Promise<string> {
  const child = spawn('npx', args, {
    cwd: shop,
    env: { ...env, ...settings },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  processes.push(child);
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done, fail) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      const match = ready.exec(line);
      if (match) done(match[1] ?? line);
    });
    child.once('exit', (code) =>
      fail(new Error(`npx ${args.join(' ')} exited (${code}): ${output.slice(-2000)}`)),
    );
  });
}

const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();
const onKafka = (eventId: string) =>
  eventually(`event ${eventId} on Kafka`, () => received.find((m) => header(m, 'ce_id') === eventId), 60_000);

async function post(path: string, body: unknown, method = 'POST') {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

/** The events of the transaction that last wrote `table`'s row `id` (its xmin), with their outbox entries. */
async function eventsWrittenWith(table: 'products' | 'purchases', id: string) {
  const { rows } = await pool.query<{ event_id: string; event_type: string; in_outbox: boolean }>(
    `select e.event_id, e.event_type, exists (select from outbox o where o.id = e.event_id) as in_outbox
     from events e, ${table} t
     where t.id = $1 and (e.transaction_id::text::bigint % 4294967296)::text = t.xmin::text
     order by e.global_position`,
    [id],
  );
  return rows;
}

beforeAll(async () => {
  // The example's package.json depends on `file:<the tarball's name>`: put the packed package there.
  const tarball = packedTarball();
  const manifest = JSON.parse(readFileSync(join(shop, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  expect(manifest.dependencies.tributary).toBe(`file:${basename(tarball)}`);
  copyFileSync(tarball, join(shop, basename(tarball)));
  // A package installed from an earlier tarball would stay: install this one.
  rmSync(join(shop, 'node_modules', 'tributary'), { recursive: true, force: true });
  rmSync(join(shop, 'node_modules', '.package-lock.json'), { force: true });

  db = await isolate('typeorm-shop');
  const base = db.config;
  env = {
    ...process.env,
    // npm and npx run the example's scripts and bins with this node
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    ...shopEnv(),
    STACK_DIR: resolve(root, base.stackDir),
    DATABASE_URL: base.databaseUrl,
    MIGRATE_DATABASE_URL: '',
    RELAY_DATABASE_URL: '',
    KAFKA_BROKERS: base.kafkaBrokers.join(','),
    KAFKA_USERNAME: `${base.kafkaUserPrefix}admin`,
    TOPIC_PREFIX: base.topicPrefix,
    RELAY_SLOT: `${db.name}_slot`,
  };
  run('npm', [
    'install',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    '--loglevel=error',
  ]);
  run('npm', ['run', 'build']);
  run('npm', ['run', 'migrate']);
  expect(run('npx', ['tributary', 'setup'])).toContain(
    `topics: created ${base.topicPrefix}order.dlq, ${base.topicPrefix}product, ${base.topicPrefix}purchase`,
  );
  pool = new Pool({ connectionString: base.databaseUrl, max: 2 });

  consumer = db.kafka().consumer({ groupId: `${db.name}-reader` });
  await consumer.connect();
  await consumer.subscribe({
    topics: [`${base.topicPrefix}product`, `${base.topicPrefix}purchase`],
    fromBeginning: true,
  });
  await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });

  api = await start(['npm', 'start'], { PORT: '0' }, /listening on (http:\/\/\S+)/);
  await start(
    ['tributary', 'relay'],
    { KAFKA_USERNAME: `${base.kafkaUserPrefix}relay`, RELAY_METRICS_PORT: '0', RELAY_HEARTBEAT_MS: '500' },
    /"msg":"relay is active"/,
  );
}, INSTALL_AND_START_MS);

afterAll(async () => {
  for (const child of processes) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await consumer?.disconnect();
  if (pool) {
    await dropSlotWhenInactive(pool, `${db.name}_slot`).catch(() => undefined);
    await pool.end();
  }
  await db?.cleanup();
});

describe('examples/typeorm-shop on the packed package', () => {
  it("imports the catalogue's pre-existing products once with the backfill, and a second run none", async () => {
    const { rows } = await pool.query<{ products: number; events: number }>(
      `select (select count(*)::int from products) as products, (select count(*)::int from events) as events`,
    );
    expect(rows[0]).toEqual({ products: 1000, events: 0 });
    expect(run('npx', ['tributary', 'crud', 'backfill', 'product'])).toMatch(
      /backfill Product: done: 1,000 rows, 1,000 imported, 0 skipped/,
    );
    expect(run('npx', ['tributary', 'crud', 'backfill', 'product'])).toMatch(
      /1,000 rows, 0 imported, 1,000 skipped/,
    );
    const imported = await pool.query<{ type: string; streams: number; events: number }>(
      `select event_type as type, count(distinct stream_id)::int as streams, count(*)::int as events
         from events group by event_type`,
    );
    expect(imported.rows).toEqual([{ type: 'ProductImported', streams: 1000, events: 1000 }]);
  });

  it(
    'publishes a product created through the API as a CloudEvent, from the row’s own transaction',
    async () => {
      const created = await post('/products', { sku: 'TEA-1', name: 'Earl Grey', priceCents: 450, stock: 3 });
      expect(created.status).toBe(201);
      const id = (created.body as { id: string }).id;

      // the row, its event and the event's outbox entry: one transaction (the row's xmin is the event's)
      const events = await eventsWrittenWith('products', id);
      expect(events).toEqual([{ event_id: expect.any(String), event_type: 'ProductAdded', in_outbox: true }]);

      const message = await onKafka(events[0]!.event_id);
      expect(header(message, 'ce_type')).toBe('com.example.shop.product.added.v1');
      expect(header(message, 'ce_source')).toBe('/typeorm-shop/product');
      expect(header(message, 'ce_specversion')).toBe('1.0');
      // keyed, and its subject, by the product's stream: one product's events stay in order on one partition
      expect(message.key?.toString()).toBe(`product-${id}`);
      expect(header(message, 'ce_subject')).toBe(`product-${id}`);
      expect(JSON.parse(message.value!.toString())).toEqual({
        change: { id, sku: 'TEA-1', name: 'Earl Grey', priceCents: 450, stock: 3 },
      });
    },
    PUBLISHED_MS,
  );

  it(
    'publishes a purchase (PurchaseMade, appended with appendWithin) and its stock change together',
    async () => {
      const product = (await post('/products', { sku: 'MUG-1', name: 'Mug', priceCents: 900, stock: 5 }))
        .body as {
        id: string;
      };
      const made = await post('/purchases', {
        customerEmail: 'ada@example.com',
        lines: [{ productId: product.id, quantity: 2 }],
      });
      expect(made.status).toBe(201);
      const purchaseId = (made.body as { id: string }).id;

      const events = await eventsWrittenWith('purchases', purchaseId);
      expect(events.map((event) => [event.event_type, event.in_outbox])).toEqual([
        ['PurchaseMade', true],
        ['ProductChanged', true],
      ]);
      const purchase = await onKafka(events[0]!.event_id);
      expect(header(purchase, 'ce_type')).toBe('com.example.shop.purchase.made.v1');
      expect(header(purchase, 'ce_source')).toBe('/typeorm-shop/purchase');
      expect(JSON.parse(purchase.value!.toString())).toEqual({
        change: {
          purchaseId,
          customerEmail: 'ada@example.com',
          lines: [{ productId: product.id, sku: 'MUG-1', quantity: 2, priceCents: 900 }],
          totalCents: 1800,
        },
      });
      const stock = await onKafka(events[1]!.event_id);
      expect(header(stock, 'ce_type')).toBe('com.example.shop.product.changed.v1');
      expect(JSON.parse(stock.value!.toString())).toMatchObject({ change: { stock: 3, changed: ['stock'] } });
    },
    PUBLISHED_MS,
  );

  it(
    'publishes a product removed through the API (remove) as ProductRemoved, after its earlier events',
    async () => {
      const { id } = (await post('/products', { sku: 'OLD-1', name: 'Old', priceCents: 100, stock: 1 }))
        .body as {
        id: string;
      };
      expect((await fetch(`${api}/products/${id}`, { method: 'DELETE' })).status).toBe(204);
      const { rows } = await pool.query<{ event_id: string; event_type: string }>(
        `select event_id, event_type from events where stream_id = $1 order by stream_version`,
        [`product-${id}`],
      );
      expect(rows.map((row) => row.event_type)).toEqual(['ProductAdded', 'ProductRemoved']);
      const removed = await onKafka(rows[1]!.event_id);
      expect(header(removed, 'ce_type')).toBe('com.example.shop.product.removed.v1');
      expect(header(removed, 'ce_sequence')).toBe('2'.padStart(20, '0'));
      expect(JSON.parse(removed.value!.toString())).toEqual({ change: { id, sku: 'OLD-1' } });
    },
    PUBLISHED_MS,
  );

  it(
    'publishes nothing of a purchase that fails after writing: its row, events and stock changes roll back',
    async () => {
      const plenty = (await post('/products', { sku: 'JAM-1', name: 'Jam', priceCents: 300, stock: 10 }))
        .body as {
        id: string;
      };
      const scarce = (await post('/products', { sku: 'HONEY-1', name: 'Honey', priceCents: 700, stock: 1 }))
        .body as {
        id: string;
      };
      const before = await pool.query<{ n: number }>(`select count(*)::int as n from events`);

      // The purchase row and PurchaseMade are written, then the stock of each line: JAM-1's update passes, HONEY-1's
      // breaks the products' check constraint, and the transaction rolls back.
      const refused = await post('/purchases', {
        customerEmail: 'grace@example.com',
        lines: [
          { productId: plenty.id, quantity: 1 },
          { productId: scarce.id, quantity: 2 },
        ],
      });
      expect(refused).toEqual({
        status: 409,
        type: 'application/problem+json; charset=utf-8',
        body: { type: 'about:blank', title: 'Conflict', status: 409, detail: 'not enough in stock' },
      });
      const after = await pool.query<{ events: number; purchases: number; stock: number }>(
        `select (select count(*)::int from events) as events,
              (select count(*)::int from purchases where customer_email = 'grace@example.com') as purchases,
              (select stock from products where id = $1) as stock`,
        [plenty.id],
      );
      expect(after.rows[0]).toEqual({ events: before.rows[0]!.n, purchases: 0, stock: 10 });

      // A later change reaches Kafka: the relay has published everything committed before it, and Kafka holds
      // exactly the events the database committed (nothing of the rolled-back purchase).
      const marker = await post(`/products/${scarce.id}`, { priceCents: 750 }, 'PATCH');
      expect(marker.status).toBe(200);
      const [last] = await eventsWrittenWith('products', scarce.id);
      await onKafka(last!.event_id);
      const committed = await pool.query<{ event_id: string }>(`select event_id from events`);
      const published = new Set(received.map((message) => header(message, 'ce_id')));
      expect([...published].sort()).toEqual(committed.rows.map((row) => row.event_id).sort());
    },
    PUBLISHED_MS,
  );

  it('lists the tributary commands from the example app (npx tributary --help)', () => {
    const help = spawnSync('npx', ['tributary', '--help'], { cwd: shop, env, encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const command of ['migrate', 'setup', 'relay', 'project search|reporting', 'verify', 'stack up']) {
      expect(help.stdout).toContain(`  ${command}`);
    }
  });
});
