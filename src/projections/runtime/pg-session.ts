import type { Pool } from 'pg';
import { pgExecutor } from '../../db/executor';
import { toTributaryError } from '../../errors';
import type { BatchSession } from './process-batch';
import { writeCheckpoint } from './store/checkpoint';
import { lockParked } from './store/lock-parked';
import { recordDeadLetters } from './store/record-dead-letters';

/**
 * A batch session on PostgreSQL: one transaction that holds the parking locks of the batch's aggregates,
 * records its dead letters and checkpoint, and commits before the consumer commits the Kafka offset.
 */
export function pgBatchSessions(pool: Pool, projector: string) {
  return async (aggregateIds: readonly string[], partitionKey: string): Promise<BatchSession> => {
    const client = await pool.connect().catch((error: unknown) => {
      throw toTributaryError(error);
    });
    const executor = pgExecutor(client);
    let open = true;
    const end = async (sql: 'commit' | 'rollback') => {
      if (!open) return;
      open = false;
      try {
        await client.query(sql);
        client.release();
      } catch (error) {
        client.release(true);
        if (sql === 'commit') throw toTributaryError(error);
      }
    };
    try {
      await client.query('begin');
      const parked = await lockParked(executor, projector, aggregateIds);
      return {
        parked,
        record: (letters) => recordDeadLetters(executor, projector, letters),
        checkpoint: (lastEventAt, lag) =>
          writeCheckpoint(executor, projector, lastEventAt, partitionKey, lag),
        commit: () => end('commit'),
        rollback: () => end('rollback'),
      };
    } catch (error) {
      await end('rollback');
      throw toTributaryError(error);
    }
  };
}
