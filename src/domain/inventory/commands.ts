/** Commands of the Inventory aggregate (one stream per SKU); `at` and ids are supplied by the caller. */

/** Records units of a SKU arriving. The first restock of a SKU starts its stream. */
export type RestockInventory = {
  readonly type: 'RestockInventory';
  readonly sku: string;
  readonly quantity: number;
  readonly at: string;
};

/** Sets units aside for an order; repeating the identical reservation is a no-op. */
export type ReserveStock = {
  readonly type: 'ReserveStock';
  readonly sku: string;
  readonly orderId: string;
  readonly quantity: number;
  readonly at: string;
};

/** Gives up an order's whole reservation of this SKU. */
export type ReleaseStock = {
  readonly type: 'ReleaseStock';
  readonly sku: string;
  readonly orderId: string;
  readonly at: string;
};

/**
 * Corrects the units on hand after a count, damage or loss: `delta` units more (positive) or fewer (negative).
 * Units reserved for orders cannot be adjusted away.
 */
export type AdjustStock = {
  readonly type: 'AdjustStock';
  readonly sku: string;
  readonly delta: number;
  readonly reason: string;
  readonly at: string;
};

/** An order's reservation of this SKU is fulfilled: its units leave the stock. */
export type CommitReservation = {
  readonly type: 'CommitReservation';
  readonly sku: string;
  readonly orderId: string;
  readonly at: string;
};

/** Every command the Inventory aggregate decides on. */
export type InventoryCommand =
  RestockInventory | AdjustStock | ReserveStock | ReleaseStock | CommitReservation;
