import type { Decider } from '../decider';
import type { OrderCommand } from './commands';
import { decideOrder } from './decide';
import type { OrderEvent } from './events';
import { evolveOrder, initialOrderState, type OrderState } from './state';

/** The Order aggregate: what the command handler loads, decides with, and appends from. */
export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  decide: decideOrder,
  evolve: evolveOrder,
  initialState: initialOrderState,
};
