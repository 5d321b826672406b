import type { EntityManager, QueryRunner } from 'typeorm';
import { TributaryError } from '../errors';
import { entityManagerExecutor } from './entity-manager-executor';

/** A stand-in for the one QueryRunner a transactional entity manager holds. */
function fakeRunner(state: { isTransactionActive: boolean; isReleased?: boolean; records?: unknown[] }) {
  const calls: [string, unknown[], boolean][] = [];
  const runner = {
    get isTransactionActive() {
      return state.isTransactionActive;
    },
    get isReleased() {
      return state.isReleased ?? false;
    },
    async query(sql: string, params: unknown[], structured: boolean) {
      calls.push([sql, params, structured]);
      return { records: state.records, raw: 'not rows' };
    },
  };
  return {
    manager: { queryRunner: runner as unknown as QueryRunner } as Pick<EntityManager, 'queryRunner'>,
    calls,
  };
}

const refusal = expect.objectContaining({
  code: 'input.invalid',
  message: expect.stringMatching(/transaction/),
});

test('statements go to the QueryRunner of the manager, asking for the structured result', async () => {
  const { manager, calls } = fakeRunner({ isTransactionActive: true, records: [{ id: 1 }] });
  const executor = entityManagerExecutor(manager);
  expect(await executor.query('select $1', [1])).toEqual([{ id: 1 }]);
  expect(await executor.query('select 2')).toEqual([{ id: 1 }]);
  expect(calls).toEqual([
    ['select $1', [1], true],
    ['select 2', [], true],
  ]);
});

test('a result without records reads as no rows', async () => {
  const { manager } = fakeRunner({ isTransactionActive: true });
  expect(await entityManagerExecutor(manager).query('set local lock_timeout = 1000')).toEqual([]);
});

test('a manager without a QueryRunner (dataSource.manager) is refused', () => {
  expect(() => entityManagerExecutor({ queryRunner: undefined })).toThrow(TributaryError);
  expect(() => entityManagerExecutor({ queryRunner: undefined })).toThrow(refusal);
});

test('a QueryRunner outside a transaction, or released, is refused', () => {
  expect(() => entityManagerExecutor(fakeRunner({ isTransactionActive: false }).manager)).toThrow(refusal);
  expect(() =>
    entityManagerExecutor(fakeRunner({ isTransactionActive: true, isReleased: true }).manager),
  ).toThrow(refusal);
});

test('a transaction that ended after the executor was made refuses further statements, running none', async () => {
  const state = { isTransactionActive: true };
  const { manager, calls } = fakeRunner(state);
  const executor = entityManagerExecutor(manager);
  state.isTransactionActive = false;
  await expect(executor.query('select 1')).rejects.toEqual(refusal);
  expect(calls).toEqual([]);
});
