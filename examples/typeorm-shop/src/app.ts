import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { QueryFailedError, type DataSource } from 'typeorm';
import { Product } from './entities/product.entity';
import { makePurchase, NotFound, type MakePurchase } from './purchases';
import { store } from './tributary';

/**
 * The shop's HTTP API. The product routes are plain TypeORM CRUD, unchanged by the adoption: the entity
 * subscriber sees their `save` and `remove`. POST /purchases is the use case that appends its own event.
 */

const productBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    sku: { type: 'string', minLength: 1 },
    name: { type: 'string', minLength: 1 },
    priceCents: { type: 'integer', minimum: 0 },
    stock: { type: 'integer', minimum: 0 },
  },
} as const;
const byId = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;
const purchaseBody = {
  type: 'object',
  required: ['customerEmail', 'lines'],
  additionalProperties: false,
  properties: {
    customerEmail: { type: 'string', format: 'email' },
    lines: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['productId', 'quantity'],
        additionalProperties: false,
        properties: {
          productId: { type: 'string', format: 'uuid' },
          quantity: { type: 'integer', minimum: 1 },
        },
      },
    },
  },
} as const;

type ProductFields = Partial<Pick<Product, 'sku' | 'name' | 'priceCents' | 'stock'>>;

export function buildApp(dataSource: DataSource): FastifyInstance {
  const app = Fastify();
  const products = dataSource.getRepository(Product);
  const find = async (id: string) => {
    const product = await products.findOneBy({ id });
    if (!product) throw new NotFound(`no product ${id}`);
    return product;
  };
  app.setErrorHandler((error, _request, reply) => {
    const problem = problemOf(error);
    void reply.code(problem.status).type('application/problem+json').send(problem);
  });

  app.get<{ Params: { id: string } }>('/products/:id', { schema: { params: byId } }, (request) =>
    find(request.params.id),
  );
  app.post<{ Body: ProductFields }>(
    '/products',
    { schema: { body: { ...productBody, required: ['sku', 'name', 'priceCents', 'stock'] } } },
    async (request, reply) => {
      const product = await products.save(products.create({ id: randomUUID(), ...request.body }));
      return reply.code(201).send(product);
    },
  );
  app.patch<{ Params: { id: string }; Body: ProductFields }>(
    '/products/:id',
    { schema: { params: byId, body: productBody } },
    async (request) => products.save(Object.assign(await find(request.params.id), request.body)),
  );
  app.delete<{ Params: { id: string } }>(
    '/products/:id',
    { schema: { params: byId } },
    async (request, reply) => {
      await products.remove(await find(request.params.id));
      return reply.code(204).send();
    },
  );
  // The product's stream: every change since the shop adopted Tributary.
  app.get<{ Params: { id: string } }>('/products/:id/events', { schema: { params: byId } }, (request) =>
    store.readStream(`product-${request.params.id}`),
  );
  app.post<{ Body: MakePurchase }>('/purchases', { schema: { body: purchaseBody } }, async (request, reply) =>
    reply.code(201).send(await makePurchase(dataSource, request.body)),
  );
  return app;
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}

/** Errors as RFC 9457 problem details: the client's mistakes are 4xx, never a 500. */
function problemOf(thrown: unknown): Problem {
  const error = (thrown instanceof Error ? thrown : new Error(String(thrown))) as Partial<FastifyError> &
    Error;
  const problem = (status: number, title: string, detail = error.message) => ({
    type: 'about:blank',
    title,
    status,
    detail,
  });
  if (error.validation) return problem(400, 'Bad Request');
  if (error instanceof NotFound) return problem(404, 'Not Found');
  // products_stock_check: a purchase would take more than the stock; products_sku_key: a SKU taken.
  const sqlState =
    thrown instanceof QueryFailedError ? (thrown.driverError as { code?: string }).code : undefined;
  if (sqlState === '23514') return problem(409, 'Conflict', 'not enough in stock');
  if (sqlState === '23505') return problem(409, 'Conflict', 'a product with this SKU exists');
  const status = error.statusCode ?? 500;
  return status < 500
    ? problem(status, 'Bad Request')
    : problem(500, 'Internal Server Error', 'the shop could not answer');
}
