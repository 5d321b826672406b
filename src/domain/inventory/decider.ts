import type { Decider } from '../decider';
import type { InventoryCommand } from './commands';
import { decideInventory } from './decide';
import type { InventoryEvent } from './events';
import { evolveInventory, initialInventoryState, type InventoryState } from './state';

/** The Inventory aggregate: one stream per SKU, holding its stock and reservations. */
export const inventoryDecider: Decider<InventoryCommand, InventoryEvent, InventoryState> = {
  decide: decideInventory,
  evolve: evolveInventory,
  initialState: initialInventoryState,
};
