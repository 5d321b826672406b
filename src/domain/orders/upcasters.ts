import { TributaryError } from '../../errors';
import type { UpcasterChain } from '../upcasting';

/**
 * OrderCreated v1 → v2 adds `salesChannel`. Version 1 did not record a channel, so old orders are
 * read as `web`, the same default CreateOrder applies when a caller names none; should history say
 * otherwise, this is the one place to change it.
 */
export function orderCreatedV1ToV2(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TributaryError('input.invalid', 'OrderCreated v1 data must be an object');
  }
  return { ...data, salesChannel: 'web' };
}

/** How stored order events of older schema versions reach the current one. */
export const orderUpcasters: UpcasterChain = {
  OrderCreated: { 1: orderCreatedV1ToV2 },
};
