import type { DataSource } from 'typeorm';
import { openCrudFixture, type CrudFixture } from '../../test/fixtures/crud';
import type { Isolated } from '../../test/harness';

/** The reviewed migrations and the entities describe the same schema, or CI fails. */

let fixture: CrudFixture;
let dataSource: DataSource;
let env: Isolated;

beforeAll(async () => {
  fixture = await openCrudFixture(__filename);
  dataSource = fixture.dataSource;
  env = fixture.env;
});

afterAll(() => fixture?.close());

/** The statements TypeORM would run to make the database match the entities. */
async function pendingChanges(): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((query) => query.query);
}

test('after the migrations, TypeORM finds no schema change pending for the entities', async () => {
  // Wrapped so a failure prints the statements a new migration would need.
  expect({ pending: await pendingChanges() }).toEqual({ pending: [] });
});

test('the check is not vacuous: a column that differs from its entity shows up as pending', async () => {
  const db = await env.pg();
  await db.query('alter table crud_customers alter column tier drop default');
  try {
    expect(await pendingChanges()).toEqual([
      `ALTER TABLE "crud_customers" ALTER COLUMN "tier" SET DEFAULT 'standard'`,
    ]);
  } finally {
    await db.query(`alter table crud_customers alter column tier set default 'standard'`);
  }
});
