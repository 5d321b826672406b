import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { TributaryError } from '../../errors';
import type { EventStore } from '../../eventstore/store';
import type { AppendResult } from '../../eventstore/types';
import { appendWithin } from '../append-within';
import { Customer, type CustomerTier } from './customer.entity';

/**
 * The adoption pattern on the example entity: each use case changes its row and appends the event that
 * announces the change in one `dataSource.transaction`. The row stays the source of truth for the app; the
 * event (and its outbox entry) is what the rest of the pipeline sees.
 */

export const customerStreamId = (id: string) => `customer-${id}`;
export const CUSTOMER_STREAM_TYPE = 'customer';

export interface RegisterCustomer {
  name: string;
  email: string;
  tier?: CustomerTier;
}

export interface CustomerChange {
  customer: Customer;
  append: AppendResult;
}

export interface CustomerService {
  /** Inserts the customer and appends `CustomerRegistered` (a new stream). */
  register(input: RegisterCustomer): Promise<CustomerChange>;
  /** Updates the tier and appends `CustomerTierChanged`; TributaryError 'store.not_found' for an unknown id. */
  changeTier(id: string, tier: CustomerTier): Promise<CustomerChange>;
}

export function createCustomerService(dataSource: DataSource, store: EventStore): CustomerService {
  return {
    register: (input) =>
      dataSource.transaction(async (manager) => {
        const customer = await manager.save(
          manager.create(Customer, {
            id: randomUUID(),
            name: input.name,
            email: input.email,
            tier: input.tier ?? 'standard',
          }),
        );
        const append = await appendWithin(manager, store, {
          streamId: customerStreamId(customer.id),
          streamType: CUSTOMER_STREAM_TYPE,
          expected: 'no_stream',
          events: [
            {
              type: 'CustomerRegistered',
              schemaVersion: 1,
              data: {
                customerId: customer.id,
                name: customer.name,
                email: customer.email,
                tier: customer.tier,
              },
            },
          ],
        });
        return { customer, append };
      }),

    changeTier: (id, tier) =>
      dataSource.transaction(async (manager) => {
        // The row lock orders concurrent changes of one customer, so their events follow the same order.
        const customer = await manager.findOne(Customer, {
          where: { id },
          lock: { mode: 'pessimistic_write' },
        });
        if (!customer) throw new TributaryError('store.not_found', `customer ${id} does not exist`);
        const from = customer.tier;
        customer.tier = tier;
        await manager.save(customer);
        const append = await appendWithin(manager, store, {
          streamId: customerStreamId(id),
          streamType: CUSTOMER_STREAM_TYPE,
          expected: 'stream_exists',
          events: [
            { type: 'CustomerTierChanged', schemaVersion: 1, data: { customerId: id, from, to: tier } },
          ],
        });
        return { customer, append };
      }),
  };
}
