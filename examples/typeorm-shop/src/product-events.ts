// #region docs:subscriber-mapping
import type { SubscribedEntity } from 'tributary/typeorm';
import { Product } from './entities/product.entity';

/**
 * The events of the product table's changes, for Tributary's entity subscriber (data-source.ts): one stream
 * per product, `product-<id>`, published on the topic `product`.
 */
export const productEvents: SubscribedEntity<Product> = {
  target: Product,
  aggregateType: 'product',
  idOf: (product) => product.id,
  toEvent: (change) => {
    switch (change.kind) {
      case 'insert':
        return { type: 'ProductAdded', schemaVersion: 1, data: change.columns };
      case 'update':
        return {
          type: 'ProductChanged',
          schemaVersion: 1,
          data: { ...change.columns, changed: change.changed },
        };
      case 'remove':
        return { type: 'ProductRemoved', schemaVersion: 1, data: { id: change.id, sku: change.columns.sku } };
      case 'import': // `tributary crud backfill product`: a product that existed before the subscriber
        return { type: 'ProductImported', schemaVersion: 1, data: change.columns };
      default:
        return null; // softRemove and recover: products have no soft delete
    }
  },
};
// #endregion
