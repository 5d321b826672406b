import type { InventoryCommand, InventoryEvent, InventoryState, StockView } from '../domain/inventory';
import { inventoryDecider, toStockView } from '../domain/inventory';
import { AggregateKind, handleCommand, reducerOf, type HandlerSettings } from './handle';
import type { CommandOptions, CommandResult } from './types';

/**
 * The command side of stock: one stream per SKU (`inventory-<sku>`). Reservations are decided on the
 * stream's current version and appended conditionally on it, so concurrent reservations of one SKU are
 * serialised by the event store: stock never goes below zero, whatever the concurrency.
 */

/** The Inventory aggregate as the handler sees it. Bump `snapshotVersion` when evolve or its state changes. */
export const inventory: AggregateKind<InventoryCommand, InventoryEvent, InventoryState, StockView> = {
  streamType: 'inventory',
  streamId: (sku) => `inventory-${sku}`,
  decider: inventoryDecider,
  snapshotVersion: 1,
  occurredAt: (command) => command.at,
  view: toStockView,
};

export interface InventoryService {
  /** Runs an Inventory command. Throws TributaryError: domain.validation, domain.rule, store.conflict. */
  executeInventory(command: InventoryCommand, options?: CommandOptions): Promise<CommandResult<StockView>>;
  /** The stock of a SKU now; undefined when nothing was ever recorded for it. */
  getStock(sku: string): Promise<StockView | undefined>;
}

/** The request a retry must repeat to count as the same: the command without its server-made time. */
const requestOf = (command: { at: string }) => ({ ...command, at: undefined });

export function createInventoryService(settings: HandlerSettings): InventoryService {
  const reducer = reducerOf(inventory);
  return {
    executeInventory: (command, options) =>
      handleCommand(settings, inventory, command.sku, command, requestOf(command), options),
    async getStock(sku) {
      const loaded = await settings.store.load(inventory.streamId(sku), reducer);
      return toStockView(loaded.state);
    },
  };
}
