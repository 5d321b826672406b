import { availableQuantity, type InventoryState } from './state';

/**
 * The public view of a SKU's stock: what the API answers and what its integration events carry. It counts
 * the open reservations instead of listing them, so the view of a SKU many orders hold stays small.
 */
export type StockView = {
  readonly sku: string;
  /** @asType integer */
  readonly onHand: number;
  /** @asType integer */
  readonly reserved: number;
  /** @asType integer */
  readonly available: number;
  /** @asType integer */
  readonly openReservations: number;
  /** @format date-time */
  readonly updatedAt: string | null;
  /** @asType integer */
  readonly version: number;
};

/** The view of a stock; undefined for a SKU that has no events yet. */
export function toStockView(state: InventoryState): StockView | undefined {
  if (state.sku === null) return undefined;
  return {
    sku: state.sku,
    onHand: state.onHand,
    reserved: state.reserved,
    available: availableQuantity(state),
    openReservations: state.reservations.length,
    updatedAt: state.updatedAt,
    version: state.version,
  };
}
