import type { Pool } from 'pg';
import { pgExecutor, withTransaction } from '../../db/executor';
import { toTributaryError } from '../../errors';
import type { ConsumerContracts } from '../../contracts';
import type { Projection } from '../types';
import { decodeMessage } from './decode';
import {
  lockParkedLetters,
  lockUnownedLetters,
  markFailedAgain,
  markReplayed,
  parkedAggregates,
  unpark,
  type DeadLetterRow,
} from './store/dead-letters';

/**
 * Replays a projector's dead letters after a fix (an upcaster for a new version, a handler bug fixed):
 * per parked aggregate, its dead letters in the order they were recorded, each decoded again with this
 * deployment's contracts and applied. An aggregate whose letters all apply is unparked, so the live
 * projector applies its next events normally; at the first one that fails again, the aggregate stays parked
 * from there (reason updated) and the replay goes on with the next aggregate.
 *
 * Each aggregate's replay holds its parking row FOR UPDATE: the live projector's batches wait for it, then
 * see the aggregate unparked — so no event is applied twice out of order, and none slips past the gap.
 */
export interface ReplayResult {
  replayed: number;
  unparked: string[];
  stillFailing: { aggregateId: string | null; eventId: string | null; reason: string }[];
}

export async function replayDeadLetters(
  pool: Pool,
  projection: Projection,
  contracts: ConsumerContracts,
  filter: { aggregateId?: string } = {},
): Promise<ReplayResult> {
  const result: ReplayResult = { replayed: 0, unparked: [], stillFailing: [] };
  const aggregates =
    filter.aggregateId !== undefined
      ? [filter.aggregateId]
      : await parkedAggregates(pgExecutor(pool), projection.name);
  for (const aggregateId of aggregates) {
    await withTransaction(pool, async (executor) => {
      const letters = await lockParkedLetters(executor, projection.name, aggregateId);
      if (letters === undefined) return; // unparked meanwhile
      const done: string[] = [];
      for (const letter of letters) {
        const failure = await replayOne(letter, projection, contracts);
        if (failure !== undefined) {
          await markFailedAgain(executor, letter.id, failure);
          result.stillFailing.push({ aggregateId, eventId: letter.eventId, reason: failure });
          await markReplayed(executor, done);
          result.replayed += done.length;
          return;
        }
        done.push(letter.id);
      }
      await markReplayed(executor, done);
      await unpark(executor, projection.name, aggregateId);
      result.replayed += done.length;
      result.unparked.push(aggregateId);
    });
  }
  if (filter.aggregateId === undefined) {
    await withTransaction(pool, async (executor) => {
      for (const letter of await lockUnownedLetters(executor, projection.name)) {
        const failure = await replayOne(letter, projection, contracts);
        if (failure === undefined) {
          await markReplayed(executor, [letter.id]);
          result.replayed += 1;
        } else {
          await markFailedAgain(executor, letter.id, failure);
          result.stillFailing.push({ aggregateId: null, eventId: letter.eventId, reason: failure });
        }
      }
    });
  }
  return result;
}

/** Decodes and applies one dead letter; the reason it still fails, or undefined. */
async function replayOne(
  letter: DeadLetterRow,
  projection: Projection,
  contracts: ConsumerContracts,
): Promise<string | undefined> {
  const decoded = decodeMessage(
    {
      key: letter.key === null ? null : Buffer.from(letter.key),
      value: letter.value,
      headers: letter.headers,
      offset: letter.offset,
    },
    { topic: letter.topic, partition: letter.partition, offset: letter.offset },
    contracts,
  );
  if (!decoded.ok) return decoded.reason;
  try {
    await projection.apply([decoded.event]);
    return undefined;
  } catch (error) {
    return `${projection.name} failed to apply ${decoded.event.type}: ${toTributaryError(error).message}`;
  }
}
