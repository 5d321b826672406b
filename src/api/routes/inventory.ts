import type { FastifyInstance } from 'fastify';
import type { InventoryService } from '../../commands/inventory-service';
import { TributaryError } from '../../errors';
import { sendCommandResult } from '../reply';
import { commandOptionsOf } from '../request-context';
import {
  adjustStockBody,
  commandHeaders,
  receiveStockBody,
  responses,
  skuParams,
  stockRef,
  type AdjustStockBody,
  type ReceiveStockBody,
} from '../schemas';
import { formatEtag } from '../etag';

/**
 * Stock per SKU (stream `inventory-<sku>`): staff receive and adjust stock and read its levels. Reservations
 * are made and ended by the order workflow, not over HTTP. ETag and If-Match refer to the stock's version.
 */

export type InventoryRouteOptions = { inventory: InventoryService; clock: () => Date };

type SkuParams = { sku: string };

const tags = ['inventory'];

function stockNotFound(sku: string): TributaryError {
  return new TributaryError('store.not_found', `No stock was ever recorded for SKU ${sku}.`, {
    details: { sku },
  });
}

export async function inventoryRoutes(app: FastifyInstance, options: InventoryRouteOptions): Promise<void> {
  receiptRoute(app, options);
  adjustmentRoute(app, options);
  stockRoute(app, options);
}

function receiptRoute(app: FastifyInstance, { inventory, clock }: InventoryRouteOptions): void {
  app.post<{ Params: SkuParams; Body: ReceiveStockBody }>(
    '/inventory/:sku/receipts',
    {
      schema: {
        tags,
        operationId: 'receiveStock',
        summary: 'Record units of a SKU arriving (the first receipt starts its stock)',
        headers: commandHeaders,
        params: skuParams,
        body: receiveStockBody,
        response: responses(200, stockRef, 'The stock after the receipt; ETag is its version.'),
      },
    },
    async (request, reply) => {
      const options = commandOptionsOf(request, { conditional: true });
      const command = { type: 'RestockInventory' as const, sku: request.params.sku, ...request.body };
      const result = await inventory.executeInventory({ ...command, at: clock().toISOString() }, options);
      return sendCommandResult(reply, result);
    },
  );
}

function adjustmentRoute(app: FastifyInstance, { inventory, clock }: InventoryRouteOptions): void {
  app.post<{ Params: SkuParams; Body: AdjustStockBody }>(
    '/inventory/:sku/adjustments',
    {
      schema: {
        tags,
        operationId: 'adjustStock',
        summary: 'Correct the units on hand (a count, damage, loss); never below what orders hold',
        headers: commandHeaders,
        params: skuParams,
        body: adjustStockBody,
        response: responses(200, stockRef, 'The stock after the adjustment; ETag is its version.'),
      },
    },
    async (request, reply) => {
      const options = commandOptionsOf(request, { conditional: true });
      const command = { type: 'AdjustStock' as const, sku: request.params.sku, ...request.body };
      const at = clock().toISOString();
      return sendCommandResult(reply, await inventory.executeInventory({ ...command, at }, options));
    },
  );
}

function stockRoute(app: FastifyInstance, { inventory }: InventoryRouteOptions): void {
  app.get<{ Params: SkuParams }>(
    '/inventory/:sku',
    {
      schema: {
        tags,
        operationId: 'getStock',
        summary: 'The stock of a SKU now',
        params: skuParams,
        response: responses(200, stockRef, 'The stock; ETag is its version.'),
      },
    },
    async (request, reply) => {
      const stock = await inventory.getStock(request.params.sku);
      if (stock === undefined) throw stockNotFound(request.params.sku);
      reply.header('etag', formatEtag(stock.version));
      return stock;
    },
  );
}
