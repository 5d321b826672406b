import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openCrudFixture, type CrudFixture } from '../../test/fixtures/crud';
import { entityManagerExecutor } from './entity-manager-executor';
import { Customer } from './example/customer.entity';

let fixture: CrudFixture;
let dataSource: DataSource;

beforeAll(async () => {
  fixture = await openCrudFixture(__filename);
  dataSource = fixture.dataSource;
});

afterAll(() => fixture?.close());

const insertSql = `insert into crud_customers (id, name, email) values ($1, 'Ada', $2) returning id`;

test('every statement yields its rows, including UPDATE and DELETE (where manager.query yields [rows, rowCount])', async () => {
  const id = randomUUID();
  await dataSource.transaction(async (manager) => {
    const executor = entityManagerExecutor(manager);
    expect(await executor.query(insertSql, [id, `${id}@example.com`])).toEqual([{ id }]);
    const updateSql = `update crud_customers set tier = 'gold' where id = $1 returning id, tier`;
    // The TypeORM quirk the executor exists to avoid:
    expect(await manager.query(updateSql, [id])).toEqual([[{ id, tier: 'gold' }], 1]);
    expect(await executor.query(updateSql, [id])).toEqual([{ id, tier: 'gold' }]);
    expect(await executor.query(`update crud_customers set tier = 'gold' where id = $1`, [id])).toEqual([]);
    expect(await executor.query('delete from crud_customers where id = $1 returning id', [id])).toEqual([
      { id },
    ]);
    expect(await executor.query('select 1 as one')).toEqual([{ one: 1 }]);
  });
});

test('statements run on the transaction of the manager: a rollback undoes them', async () => {
  const id = randomUUID();
  await expect(
    dataSource.transaction(async (manager) => {
      await entityManagerExecutor(manager).query(insertSql, [id, `${id}@example.com`]);
      throw new Error('roll back');
    }),
  ).rejects.toThrow('roll back');
  expect(await dataSource.manager.countBy(Customer, { id })).toBe(0);
});

test('a nested transaction (savepoint) counts as inside a transaction', async () => {
  const id = randomUUID();
  await dataSource.transaction(async (outer) => {
    await outer.transaction(async (inner) => {
      await entityManagerExecutor(inner).query(insertSql, [id, `${id}@example.com`]);
    });
  });
  expect(await dataSource.manager.countBy(Customer, { id })).toBe(1);
});
