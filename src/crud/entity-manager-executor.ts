import type { EntityManager } from 'typeorm';
import type { Executor } from '../db/executor';
import { TributaryError } from '../errors';

/**
 * Adapts a TypeORM entity manager that is inside a transaction (the `manager` of
 * `dataSource.transaction(async (manager) => …)`, or `queryRunner.manager` after `startTransaction()`), so
 * Tributary's writes join that transaction.
 *
 * Statements run on the manager's QueryRunner, the one connection holding the transaction. They go through
 * the structured-result path: TypeORM's plain `query` returns `[rows, rowCount]` instead of the rows for
 * UPDATE and DELETE on PostgreSQL, which would break every operation that reads rows back.
 *
 * Throws TributaryError 'input.invalid' when the manager is not inside an active transaction (checked now and
 * before every statement): writing events there would commit them apart from the entity change.
 */
export function entityManagerExecutor(manager: Pick<EntityManager, 'queryRunner'>): Executor {
  const runner = () => {
    const queryRunner = manager.queryRunner;
    if (!queryRunner || queryRunner.isReleased || !queryRunner.isTransactionActive) {
      throw new TributaryError(
        'input.invalid',
        'the entity manager is not inside a transaction: use the manager that dataSource.transaction(async (manager) => …) passes, so the events commit or roll back with the entity change',
      );
    }
    return queryRunner;
  };
  runner();
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await runner().query(sql, [...params], true);
      return (result.records ?? []) as Row[];
    },
  };
}
