import { TributaryError } from '../../errors';
import type { DowncasterChain } from '../downcasting';

/**
 * OrderCreated v2 → v1 drops `salesChannel`, the one field v2 added (orderCreatedV1ToV2 in upcasters.ts).
 * A v1 reader never knew the channel; what it loses is exactly what v1 could not say. Upcasting the result
 * gives the channel back as `web`, so the round trip is exact for web orders and for v1 data.
 */
export function orderCreatedV2ToV1(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TributaryError('input.invalid', 'OrderCreated v2 data must be an object');
  }
  const { salesChannel: _dropped, ...v1 } = data as Record<string, unknown>;
  return v1;
}

/** How order event data of a newer schema version goes down to the version before it. */
export const orderDowncasters: DowncasterChain = {
  OrderCreated: { 2: orderCreatedV2ToV1 },
};
