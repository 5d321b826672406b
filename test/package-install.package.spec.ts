import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MIGRATIONS } from '../migrations';
import { packedTarball } from './fixtures/packed';
import { isolate } from './harness';

/**
 * The package as an app receives it: `npm pack` (its prepack script cleans dist/ and builds; once for the
 * tier, in test/package-global-setup.ts) makes the tarball, which is installed into an empty app folder the
 * way an app would, once with each TypeORM line of the peer range, and used from there: `require('tributary')`,
 * `require('tributary/typeorm')`, `require('tributary/consumer')`, the `tributary` bin on plain node, TypeORM's CLI running Tributary's migrations from the app's DataSource and
 * `appendWithin` in the app's transactions on PostgreSQL (a database of its own per app, test/harness.ts),
 * and the type declarations through TypeScript's node16 resolution, with the example shop's code that uses
 * the package (where docs/crud-adoption.md's snippets come from).
 * The installs take their dependencies from npm's cache when they are there (--prefer-offline). 45 to 90 s,
 * most of it npm: a tier of its own (`npm run test:package`), outside `npm test`. What the tarball holds is
 * test/package.unit.spec.ts.
 */

const root = resolve(__dirname, '..');
const PACK_AND_INSTALL_MS = 180_000;

let work: string;
let tarball: string;

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The app's DataSource, with Tributary's migrations listed next to its own (it has none here). */
const DATA_SOURCE = `const { DataSource } = require('typeorm');
const { migrations } = require('tributary/typeorm');
module.exports = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, migrations: [...migrations] });
`;

/** appendWithin in the app (docs/crud-adoption.md): a committed append, then one in a transaction that rolls back. */
const APPEND = `const { Pool } = require('pg');
const { appendWithin, createEventStoreFor, loadConfig } = require('tributary');
const dataSource = require('./data-source');
(async () => {
  const config = loadConfig();
  const pool = new Pool({ connectionString: config.databaseUrl });
  const store = createEventStoreFor(config, pool);
  await dataSource.initialize();
  const event = { type: 'CustomerRegistered', schemaVersion: 1, data: { customerId: '1' } };
  const committed = await dataSource.transaction((manager) =>
    appendWithin(manager, store, { streamId: 'customer-1', streamType: 'customer', expected: 'no_stream', events: [event] }),
  );
  const rolledBack = await dataSource
    .transaction(async (manager) => {
      await appendWithin(manager, store, { streamId: 'customer-2', streamType: 'customer', events: [event] });
      throw new Error('rolled back');
    })
    .catch((error) => error.message);
  const events = await pool.query('select stream_id from events order by global_position');
  console.log(JSON.stringify({ nextVersion: committed.nextVersion, rolledBack, streams: events.rows.map((row) => row.stream_id) }));
  await dataSource.destroy();
  await pool.end();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

/**
 * The entity subscriber of docs/crud-adoption.md in the app, on an EntitySchema over the CRUD example's table
 * (plain JavaScript has no decorators): save, save, remove, a rolled-back save, a criteria update.
 */
const SUBSCRIBER = `const { randomUUID } = require('node:crypto');
const { Pool } = require('pg');
const { DataSource, EntitySchema } = require('typeorm');
const { createEventStoreFor, loadConfig } = require('tributary');
const { outboxSubscriberClass } = require('tributary/typeorm');
class Customer {}
const schema = new EntitySchema({
  name: 'Customer', target: Customer, tableName: 'crud_customers',
  columns: { id: { type: 'uuid', primary: true }, name: { type: 'text' }, email: { type: 'text' }, tier: { type: 'text' } },
});
(async () => {
  const config = loadConfig();
  const pool = new Pool({ connectionString: config.databaseUrl });
  const store = createEventStoreFor(config, pool);
  const subscriber = outboxSubscriberClass({ store, entities: [{ target: Customer, aggregateType: 'customer' }] });
  const dataSource = new DataSource({ type: 'postgres', url: config.databaseUrl, entities: [schema], subscribers: [subscriber] });
  await dataSource.initialize();
  const repository = dataSource.getRepository(Customer);
  const id = randomUUID();
  const customer = await repository.save(Object.assign(new Customer(), { id, name: 'Ada', email: id + '@x.io', tier: 'standard' }));
  customer.tier = 'gold';
  await repository.save(customer);
  await repository.update({ id }, { tier: 'standard' });
  await repository.remove(customer);
  const lost = randomUUID();
  const rolledBack = await dataSource
    .transaction(async (manager) => {
      await manager.save(Object.assign(new Customer(), { id: lost, name: 'Lost', email: lost + '@x.io', tier: 'standard' }));
      throw new Error('rolled back');
    })
    .catch((error) => error.message);
  const events = await pool.query('select stream_id, event_type from events order by global_position');
  const outbox = await pool.query('select count(*)::int as n from outbox');
  const rows = await pool.query('select count(*)::int as n from crud_customers');
  console.log(JSON.stringify({
    rolledBack,
    events: events.rows.map((row) => [row.stream_id === 'customer-' + id ? 'customer' : row.stream_id, row.event_type]),
    outbox: outbox.rows[0].n,
    rows: rows.rows[0].n,
  }));
  await dataSource.destroy();
  await pool.end();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tributary-package-'));
  tarball = packedTarball();
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// Both TypeORM lines of the peer range: this repository's 1.x and the last 0.3 release.
describe.each(['1.1.1', '0.3.31'])('the package installed in an app on TypeORM %s', (typeorm) => {
  let app: string;
  const node = (args: string[]) => run(process.execPath, args, app);

  beforeAll(() => {
    app = join(work, `app-typeorm-${typeorm}`);
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
    );
    run(
      'npm',
      [
        'install',
        tarball,
        `typeorm@${typeorm}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error',
      ],
      app,
    );
  }, PACK_AND_INSTALL_MS);

  it("uses the app's TypeORM", () => {
    const installed = JSON.parse(
      readFileSync(join(app, 'node_modules', 'typeorm', 'package.json'), 'utf8'),
    ) as {
      version: string;
    };
    expect(installed.version).toBe(typeorm);
    // and only one copy of it: the package brings none of its own
    expect(node(['-p', `require.resolve('typeorm', { paths: [require.resolve('tributary')] })`]).trim()).toBe(
      join(app, 'node_modules', 'typeorm', 'index.js'),
    );
  });

  it("installs nothing that needs a newer Node.js than the package's engines", () => {
    // The repository pins some dependencies with `overrides`, which an app's install ignores; the package
    // names those versions as its own dependencies instead.
    const script = `const semver = require(process.argv[1]);
      const { readdirSync, readFileSync, existsSync } = require('node:fs');
      const { join } = require('node:path');
      const floor = semver.minVersion(process.argv[2]).version;
      const refused = [];
      const walk = (dir) => {
        if (!existsSync(dir)) return;
        for (const name of readdirSync(dir)) {
          if (name.startsWith('.')) continue;
          if (name.startsWith('@')) { walk(join(dir, name)); continue; }
          const manifest = join(dir, name, 'package.json');
          if (existsSync(manifest)) {
            const { name: pkg, version, engines } = JSON.parse(readFileSync(manifest, 'utf8'));
            if (engines && typeof engines.node === 'string' && !semver.satisfies(floor, engines.node))
              refused.push(pkg + '@' + version + ' needs node ' + engines.node);
          }
          walk(join(dir, name, 'node_modules'));
        }
      };
      walk('node_modules');
      console.log(JSON.stringify(refused));`;
    const engines = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }
    ).engines.node;
    const refused = node(['-e', script, join(root, 'node_modules', 'semver'), engines]);
    expect(JSON.parse(refused)).toEqual([]);
  });

  it('loads the root without loading TypeORM, and ./typeorm with every migration', () => {
    const out = node([
      '-e',
      `const root = require('tributary');
       const typeormLoaded = Object.keys(require.cache).some((file) => file.includes('/node_modules/typeorm/'));
       const { migrations, entityManagerExecutor, outboxSubscriberClass } = require('tributary/typeorm');
       console.log(JSON.stringify({
         root: Object.keys(root).sort(),
         typeormLoaded,
         migrations: migrations.map((migration) => new migration().name),
         adapter: typeof entityManagerExecutor,
         subscriber: typeof outboxSubscriberClass,
       }));`,
    ]);
    const loaded = JSON.parse(out) as {
      root: string[];
      typeormLoaded: boolean;
      migrations: string[];
      adapter: string;
      subscriber: string;
    };
    expect(loaded.root).toEqual(
      expect.arrayContaining(['appendWithin', 'createEventStore', 'createEventStoreFor', 'loadConfig']),
    );
    expect(loaded.typeormLoaded).toBe(false);
    expect(loaded.migrations).toEqual(MIGRATIONS.map((migration) => new migration().name));
    expect(loaded.adapter).toBe('function');
    expect(loaded.subscriber).toBe('function');
  });

  it('decodes and downcasts a record through ./consumer, loading no database, Kafka client or TypeORM', () => {
    const out = node([
      '-e',
      `const { decodeCloudEvent, toVersion } = require('tributary/consumer');
       const headers = { 'content-type': 'application/json', ce_id: 'e-1', ce_time: '2026-01-01T00:00:00.000Z',
         ce_type: 'io.tributary.order.created.v2', ce_source: '/tributary/order', ce_specversion: '1.0',
         ce_subject: 'o-1', ce_partitionkey: 'o-1', ce_sequence: '00000000000000000001' };
       const value = Buffer.from(JSON.stringify({ change: { orderId: 'o-1', salesChannel: 'store' }, state: { id: 'o-1', salesChannel: 'store' } }));
       const event = toVersion(decodeCloudEvent({ key: Buffer.from('o-1'), value, headers }), 1);
       const loaded = Object.keys(require.cache).filter((file) =>
         ['pg', 'kafkajs', 'typeorm'].some((name) => file.includes('/node_modules/' + name + '/')));
       console.log(JSON.stringify({ type: event.type, data: event.data, loaded }));`,
    ]);
    expect(JSON.parse(out)).toEqual({
      type: 'io.tributary.order.created.v1',
      data: { change: { orderId: 'o-1' }, state: { id: 'o-1' } },
      loaded: [],
    });
  });

  it('keeps everything else out of reach', () => {
    const out = node([
      '-e',
      `try { require('tributary/dist/src/cli/main.js'); console.log('reachable'); }
       catch (error) { console.log(error.code); }`,
    ]);
    expect(out.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('runs the tributary bin on plain node, listing the commands', () => {
    const result = spawnSync(process.execPath, [join(app, 'node_modules', '.bin', 'tributary'), '--help'], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    for (const command of ['migrate', 'setup', 'relay', 'project', 'verify', 'stack up']) {
      expect(result.stdout).toContain(`  ${command}`);
    }
  });

  it("runs Tributary's migrations with TypeORM's CLI from the app's DataSource, then appends in its transactions", async () => {
    const db = await isolate(`package-typeorm-${typeorm}`);
    try {
      const env = { ...process.env, DATABASE_URL: db.config.databaseUrl, MIGRATE_DATABASE_URL: '' };
      writeFileSync(join(app, 'data-source.js'), DATA_SOURCE);
      writeFileSync(join(app, 'append.js'), APPEND);
      const typeormCli = join(app, 'node_modules', 'typeorm', 'cli.js');
      run(process.execPath, [typeormCli, 'migration:run', '-d', 'data-source.js'], app, env);
      // the same migrations table: the bin finds nothing left to run
      const bin = join(app, 'node_modules', '.bin', 'tributary');
      expect(run(process.execPath, [bin, 'migrate'], app, env)).toContain('migrations: up to date');
      expect(JSON.parse(run(process.execPath, ['append.js'], app, env))).toEqual({
        nextVersion: 1,
        rolledBack: 'rolled back',
        streams: ['customer-1'],
      });
    } finally {
      await db.cleanup();
    }
  }, 60_000);

  it('runs the entity subscriber in the app: save and remove write their events, a rollback and update(criteria) none', async () => {
    const db = await isolate(`package-subscriber-${typeorm}`);
    try {
      const env = { ...process.env, DATABASE_URL: db.config.databaseUrl, MIGRATE_DATABASE_URL: '' };
      writeFileSync(join(app, 'subscriber.js'), SUBSCRIBER);
      run(process.execPath, [join(app, 'node_modules', '.bin', 'tributary'), 'migrate'], app, env);
      expect(JSON.parse(run(process.execPath, ['subscriber.js'], app, env))).toEqual({
        rolledBack: 'rolled back',
        events: [
          ['customer', 'CustomerInserted'],
          ['customer', 'CustomerUpdated'],
          ['customer', 'CustomerRemoved'],
        ],
        outbox: 3,
        rows: 0,
      });
    } finally {
      await db.cleanup();
    }
  }, 60_000);

  it('compiles the TypeScript consumer of docs/integrators.md against tributary/consumer and kafkajs', () => {
    const page = readFileSync(join(root, 'docs', 'integrators.md'), 'utf8');
    const snippets = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(snippets).toHaveLength(1);
    expect(snippets[0]).toMatch(/from 'tributary\/consumer'/);
    writeFileSync(join(app, 'integrator.ts'), snippets[0]!);
    writeFileSync(
      join(app, 'tsconfig.integrator.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'node16',
          moduleResolution: 'node16',
          noEmit: true,
          skipLibCheck: true,
          typeRoots: [join(root, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['integrator.ts'],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(app, 'tsconfig.integrator.json')],
      { cwd: app, encoding: 'utf8' },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it("gives an app its types through the exports map, and compiles the example shop's Tributary code on this TypeORM", () => {
    // The files of examples/typeorm-shop that use the package (docs/crud-adoption.md's snippets are regions
    // of them, test/crud-adoption-docs.unit.spec.ts), without its HTTP layer: compiled here against this
    // TypeORM line; test/typeorm-shop.package.spec.ts builds and runs the whole example on TypeORM 1.x.
    const shopSource = join(root, 'examples', 'typeorm-shop', 'src');
    cpSync(shopSource, join(app, 'shop'), {
      recursive: true,
      filter: (path) => !/\/(app|server)\.ts$/.test(path),
    });
    writeFileSync(
      join(app, 'app.ts'),
      `import { appendWithin, createEventStoreFor, loadConfig, type EventStore, type StreamAppend } from 'tributary';
import { entityManagerExecutor, migrations } from 'tributary/typeorm';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';

const store: EventStore = createEventStoreFor(loadConfig({}), new Pool());
const append: StreamAppend = { streamId: 'customer-1', streamType: 'customer', events: [] };
export const source = new DataSource({ type: 'postgres', migrations: [...migrations] });
export const change = () =>
  source.transaction(async (manager) => {
    entityManagerExecutor(manager);
    const version: number = (await appendWithin(manager, store, append)).nextVersion;
    return version;
  });
// @ts-expect-error internal modules are not part of the package's types either
import type {} from 'tributary/dist/src/cli/main';
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'node16',
          moduleResolution: 'node16',
          noEmit: true,
          skipLibCheck: true,
          experimentalDecorators: true,
          typeRoots: [join(root, 'node_modules', '@types')],
          types: ['node'],
        },
        include: ['app.ts', 'shop/**/*.ts'],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app],
      {
        cwd: app,
        encoding: 'utf8',
      },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
