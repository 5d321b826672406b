// #region docs:append-within
import { randomUUID } from 'node:crypto';
import { appendWithin } from 'tributary';
import type { DataSource } from 'typeorm';
import { Product } from './entities/product.entity';
import { Purchase } from './entities/purchase.entity';
import { store } from './tributary';

export interface MakePurchase {
  customerEmail: string;
  lines: { productId: string; quantity: number }[];
}

/**
 * A purchase: its row and its `PurchaseMade` event, then the stock of each product it takes (each `save`
 * appends a `ProductChanged` through the subscriber), all in one transaction. The products' check constraint
 * refuses a stock below zero: that failure comes after everything else was written, and rolls all of it back.
 */
export function makePurchase(dataSource: DataSource, input: MakePurchase): Promise<Purchase> {
  return dataSource.transaction(async (manager) => {
    const purchase = manager.create(Purchase, {
      id: randomUUID(),
      customerEmail: input.customerEmail,
      lines: [],
      totalCents: 0,
      madeAt: new Date(),
    });
    const products: Product[] = [];
    for (const { productId, quantity } of input.lines) {
      // Locked until the commit: purchases of one product change its stock, and its stream, one at a time.
      const product = await manager.findOne(Product, {
        where: { id: productId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!product) throw new NotFound(`no product ${productId}`);
      purchase.lines.push({ productId, sku: product.sku, quantity, priceCents: product.priceCents });
      purchase.totalCents += quantity * product.priceCents;
      products.push(Object.assign(product, { stock: product.stock - quantity }));
    }
    await manager.save(purchase);
    await appendWithin(manager, store, {
      streamId: `purchase-${purchase.id}`,
      streamType: 'purchase',
      expected: 'no_stream',
      events: [
        {
          type: 'PurchaseMade',
          schemaVersion: 1,
          data: {
            purchaseId: purchase.id,
            customerEmail: purchase.customerEmail,
            lines: purchase.lines,
            totalCents: purchase.totalCents,
          },
        },
      ],
    });
    for (const product of products) await manager.save(product);
    return purchase;
  });
}
// #endregion

/** An id the shop does not know: 404. */
export class NotFound extends Error {}
