import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createEventStoreFor, createOrderService } from '../../src/commands';
import type { Config } from '../../src/config';
import type { OrderCommand } from '../../src/domain/orders/commands';
import type { EventStore } from '../../src/eventstore';
import { pick } from '../fixtures/random';
import { withSessionOptions } from '../../src/db/pool';
import { sleep } from '../../src/util';

/**
 * Commands that fail mid-transaction, after their events and outbox entries were inserted. No HTTP request
 * can do that (an API command either appends in one statement or, with an Idempotency-Key, commits its
 * events with the key right after), so this writer runs the real command handler in-process against the
 * scenario's database, with an event store whose transactions fail after the work inside them: a thrown
 * error, a failing SQL statement (division by zero) or a unique violation (which the handler retries, each
 * retry with new event ids, before it gives up). It records every event id an append inserted, so the
 * scenario can prove none of them is in the store or on Kafka afterwards.
 */

export interface RollbackWriter {
  stop(): Promise<RollbackResult>;
}

export interface RollbackResult {
  /** Commands that were made to fail after their append. */
  commands: number;
  /** Event ids those appends inserted before the transaction rolled back. */
  eventIds: string[];
  /** Attempts that failed before any append (rejected by the domain, database unreachable): nothing to prove. */
  otherFailures: number;
}

const FAILURES = ['throw', 'sql-error', 'unique-violation'] as const;
type Failure = (typeof FAILURES)[number];

class RolledBack extends Error {}

export function startRollbackWriter(options: {
  config: Config;
  /** Open orders to aim commands at (so rolled-back events interleave with committed ones). */
  openOrders: () => string[];
  ratePerSecond: number;
  random: () => number;
}): RollbackWriter {
  const { config, random } = options;
  const pool = new Pool({ connectionString: withSessionOptions(config.databaseUrl), max: 4 });
  pool.on('error', () => undefined);
  const store = createEventStoreFor(config, pool);
  const result: RollbackResult = { commands: 0, eventIds: [], otherFailures: 0 };
  let failure: Failure = 'throw';

  /** The store, except that every transaction fails after the work in it, and appends report their ids. */
  const failing: EventStore = {
    ...store,
    append: async (input, appendOptions) => {
      const appended = await store.append(input, appendOptions);
      result.eventIds.push(...appended.events.map((event) => event.eventId));
      return appended;
    },
    transaction: (work) =>
      store.transaction(async (executor) => {
        await work(executor);
        if (failure === 'sql-error') await executor.query('select 1 / 0');
        if (failure === 'unique-violation') {
          // The idempotency key row the handler just wrote, once more: 23505 after the events are in.
          await executor.query(
            `insert into idempotency_keys (key, request_hash, stream_id, response)
             select key, request_hash, stream_id, response from idempotency_keys where key = $1`,
            [currentKey],
          );
        }
        throw new RolledBack('failing after the append, on purpose');
      }),
  };
  const service = createOrderService(config, failing);
  let currentKey = '';

  const commandFor = (): OrderCommand => {
    const at = new Date().toISOString();
    const orders = options.openOrders();
    if (orders.length === 0 || random() < 0.3) {
      return {
        type: 'CreateOrder',
        orderId: randomUUID(),
        customer: { id: 'cust-rollback', name: 'Rolled Back', email: 'rollback@example.com' },
        lines: [{ sku: 'ghost-1', name: 'never sold', quantity: 1, unitPrice: 999 }],
        currency: 'EUR',
        at,
      };
    }
    const orderId = pick(random, orders);
    return random() < 0.5
      ? {
          type: 'AddOrderLine',
          orderId,
          line: { sku: `ghost-${randomUUID().slice(0, 8)}`, name: 'never sold', quantity: 1, unitPrice: 1 },
          at,
        }
      : { type: 'CancelOrder', orderId, reason: 'rolled back', at };
  };

  let running = true;
  const loop = (async () => {
    for (let n = 0; running; n++) {
      failure = FAILURES[n % FAILURES.length]!;
      currentKey = `rollback-${randomUUID()}`;
      const before = result.eventIds.length;
      let committed = false;
      try {
        // With an Idempotency-Key the handler runs load → decide → append → save key in one transaction.
        await service.executeOrder(commandFor(), { idempotencyKey: currentKey });
        committed = true;
      } catch {
        // Expected: the transaction failed. It counts when an append had happened in it; otherwise the
        // domain rejected the command, or the database was unreachable, before anything was inserted.
        if (result.eventIds.length > before) result.commands++;
        else result.otherFailures++;
      }
      if (committed) throw new Error('a command of the rolled-back writer committed');
      await sleep(1_000 / options.ratePerSecond);
    }
  })();
  loop.catch(() => undefined); // its failure is reported by stop()

  return {
    async stop() {
      running = false;
      await loop;
      await pool.end();
      return result;
    },
  };
}
