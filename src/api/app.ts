import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerAuth, type Authenticator } from '../auth';
import type { OrderService } from '../commands/types';
import { DOCS_PATH, registerDocs } from './docs';
import {
  clientErrorHandler,
  frameworkErrorHandler,
  problemErrorHandler,
  routeNotFoundHandler,
} from './problem';
import { CORRELATION_ID_HEADER, correlationIdOf } from './request-context';
import { orderCommandRoutes } from './routes/order-commands';
import { orderQueryRoutes } from './routes/order-queries';
import type { InventoryService } from '../commands/inventory-service';
import { inventoryRoutes } from './routes/inventory';
import { fulfilmentRoutes, type FulfilmentRouteOptions } from './routes/fulfilment';
import { paymentRoutes } from './routes/payments';
import { reportRoutes, type ReportRouteOptions } from './routes/reports';
import { CONTRACT_PATHS, schemaRoutes, type SchemaRouteOptions } from './routes/schemas';
import { searchRoutes, type SearchRouteOptions } from './routes/search';
import { sharedSchemas } from './schemas';
import { orderNotFound, type RouteOptions } from './reply';
import { registerRateLimit, type RateLimitOptions } from './rate-limit';

/** Options of the HTTP API. */
export interface BuildAppOptions {
  /** The command side the endpoints call. */
  service: OrderService;
  /**
   * Who is calling: every route but the docs needs a credential it accepts (src/auth). Required, so that
   * turning authentication off is a visible choice (`anonymousAuthenticator()`), never a default.
   */
  authenticator: Authenticator;
  /** A pino logger for request and error logs; logging is off when absent. */
  logger?: FastifyBaseLogger;
  /** Largest accepted request body; larger ones get 413. Default 1 MiB. */
  bodyLimitBytes?: number;
  /**
   * Time a client has to send a whole request (`serve` passes HTTP_REQUEST_TIMEOUT_MS); a slower request
   * gets 408 problem+json. Default 30 s; 0 = Node's defaults.
   */
  requestTimeoutMs?: number;
  /** The business time stamped on commands (`at`); default the system clock. */
  clock?: () => Date;
  /**
   * The read models' queries (search and reports), each served only when given: the command side runs
   * without them.
   */
  readModels?: { search?: SearchRouteOptions; reports?: ReportRouteOptions };
  /** Stock per SKU (/inventory routes), served only when given. */
  inventory?: InventoryService;
  /** An order's fulfilment saga (GET /orders/:id/fulfilment), served only when given. */
  fulfilment?: FulfilmentRouteOptions['fulfilment'];
  /** Serve the Swagger UI at /docs (default true); the OpenAPI document is at /docs/json either way. */
  swaggerUi?: boolean;
  /**
   * The event contracts (public): the JSON Schemas at /schemas/… and the AsyncAPI document at /asyncapi.json
   * and /asyncapi.yaml; served only when given.
   */
  contracts?: SchemaRouteOptions;
  /** Requests per window per principal (`serve` passes RATE_LIMIT_MAX / RATE_LIMIT_WINDOW_MS); none when absent. */
  rateLimit?: RateLimitOptions;
}

export const DEFAULT_BODY_LIMIT_BYTES = 1_048_576;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Node's request timeouts: the whole request within `ms` (headers too), checked every second at most
 * (Node's default is every 30 s), answered 408 by `clientErrorHandler`. 0 leaves Node's defaults.
 */
function requestTimeouts(ms: number) {
  if (ms <= 0) return {};
  return {
    requestTimeout: ms,
    http: { headersTimeout: ms, connectionsCheckingInterval: Math.min(ms, 1_000) },
  };
}

/**
 * The Fastify application of the HTTP API: order and payment commands, order queries, problem+json errors
 * and the OpenAPI document. Not listening yet: `app.inject()` in tests, `startServer` to serve.
 */
export function buildApp(options: BuildAppOptions): FastifyInstance {
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    bodyLimit: bodyLimitBytes,
    ...requestTimeouts(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
    // Ids may be up to 200 characters (the schemas say so and answer 400 beyond); the router's default of 100
    // would answer 414 in plain JSON before the schema is even consulted.
    routerOptions: { maxParamLength: 1_000 },
    genReqId: correlationIdOf,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    logController: new LogController({ requestIdLogLabel: 'correlationId' }),
    ajv: {
      customOptions: {
        // Unknown fields are rejected, not dropped; wrong types are rejected, not coerced ("2" is not 2);
        // every invalid field is reported at once (bodies are capped by bodyLimit and maxItems).
        removeAdditional: false,
        coerceTypes: false,
        allErrors: true,
      },
    },
  }) as unknown as FastifyInstance;

  // JSON only: any other body (Fastify also parses text/plain by default) gets 415.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(problemErrorHandler({ bodyLimitBytes }));
  app.setNotFoundHandler(routeNotFoundHandler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(CORRELATION_ID_HEADER, request.id);
  });
  for (const schema of sharedSchemas) app.addSchema(schema);
  // Before any route (the docs' too), so each is checked against the policy table as it is registered.
  registerAuth(app, {
    authenticator: options.authenticator,
    publicPrefixes: [DOCS_PATH, ...CONTRACT_PATHS],
    customerOfOrder: async (orderId) => (await options.service.getOrder(orderId))?.customer.id,
    orderNotFound: (orderId) => orderNotFound(orderId),
  });

  if (options.rateLimit) registerRateLimit(app, options.rateLimit);
  registerDocs(app, { ui: options.swaggerUi ?? true });

  const routeOptions: RouteOptions = { service: options.service, clock: options.clock ?? (() => new Date()) };
  void app.register(orderCommandRoutes, routeOptions);
  void app.register(orderQueryRoutes, routeOptions);
  void app.register(paymentRoutes, routeOptions);
  if (options.inventory)
    void app.register(inventoryRoutes, { ...routeOptions, inventory: options.inventory });
  if (options.fulfilment) void app.register(fulfilmentRoutes, { fulfilment: options.fulfilment });
  if (options.readModels?.search) void app.register(searchRoutes, options.readModels.search);
  if (options.readModels?.reports) void app.register(reportRoutes, options.readModels.reports);
  if (options.contracts) void app.register(schemaRoutes, options.contracts);
  return app;
}
