export type {
  AdjustStock,
  CommitReservation,
  InventoryCommand,
  ReleaseStock,
  ReserveStock,
  RestockInventory,
} from './commands';
export { decideInventory } from './decide';
export { inventoryDecider } from './decider';
export {
  inventorySchemaVersions,
  type InventoryEvent,
  type ReservationCommitted,
  type ReservationCommittedData,
  type StockAdjusted,
  type StockAdjustedData,
  type StockReceived,
  type StockReceivedData,
  type StockReleased,
  type StockReleasedData,
  type StockReserved,
  type StockReservedData,
} from './events';
export {
  availableQuantity,
  evolveInventory,
  initialInventoryState,
  reservationOf,
  type InventoryState,
  type Reservation,
  type StockItem,
} from './state';
export { toStockView, type StockView } from './view';
