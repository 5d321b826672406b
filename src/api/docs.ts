import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { OPTIONAL_BODY } from './schemas';

type Operation = { requestBody?: { required?: boolean }; [OPTIONAL_BODY]?: boolean };

// @fastify/swagger marks every request body required; the routes marked OPTIONAL_BODY accept none.
function markOptionalBodies<Document extends { paths?: object }>(document: Document): Document {
  for (const item of Object.values(document.paths ?? {}) as Record<string, Operation>[]) {
    for (const operation of Object.values(item)) {
      if (operation[OPTIONAL_BODY] !== true) continue;
      delete operation[OPTIONAL_BODY];
      if (operation.requestBody !== undefined) operation.requestBody.required = false;
    }
  }
  return document;
}

/** Where the Swagger UI is served; the OpenAPI document itself is at `${DOCS_PATH}/json`. */
export const DOCS_PATH = '/docs';

/**
 * Registers the OpenAPI document, built by @fastify/swagger from the route schemas, at `/docs/json`, and
 * with `ui` the Swagger UI at `/docs` (which serves the document itself, plus `/docs/yaml`). Must be
 * registered before the routes, so its onRoute hook sees them all.
 *
 * The UI is optional because @fastify/swagger-ui serves its assets with @fastify/static, whose
 * content-disposition dependency is ESM-only: plain Node (≥ 20.19) loads it, Jest's module system cannot.
 */
export function registerDocs(app: FastifyInstance, { ui }: { ui: boolean }): void {
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tributary API',
        version: '0.1.0',
        description:
          'Commands and temporal queries on orders. Responses carry the stream version as a strong ETag ("3"); ' +
          'If-Match makes a command conditional on it; Idempotency-Key makes a retry safe. Errors are RFC 9457 ' +
          'problem details (application/problem+json) whose `type` is /problems/<error code>.',
      },
      tags: [{ name: 'orders' }, { name: 'payments' }, { name: 'search' }, { name: 'reports' }],
      // Every operation needs one of these (src/auth); which roles may call what is in docs/security.md.
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    // Shared schemas become components named by their $id (Order, Payment, Problem) instead of def-0, def-1.
    transformObject: (documents) =>
      markOptionalBodies('openapiObject' in documents ? documents.openapiObject : documents.swaggerObject),
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  if (ui) {
    void app.register(swaggerUi, { routePrefix: DOCS_PATH });
  } else {
    void app.register(async (docs) => {
      docs.get(`${DOCS_PATH}/json`, { schema: { hide: true } }, async () => app.swagger());
    });
  }
}
