import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'yaml';
import { SCHEMA_MEDIA_TYPE, type SchemaRegistry } from '../../contracts';
import { TributaryError } from '../../errors';

/**
 * The event contracts, public (no credential: they describe the topics, not any data): `GET
 * /schemas/<aggregate>/<EventType>/v<N>.json`, the JSON Schema every CloudEvent names in `dataschema`, and
 * `GET /asyncapi.json` / `/asyncapi.yaml`, the AsyncAPI document of the topics. A schema never changes once
 * published, so it is cached for a year as immutable; the AsyncAPI document follows the deployment's settings
 * and is revalidated.
 */
export interface SchemaRouteOptions {
  registry: SchemaRegistry;
  /** The AsyncAPI document (`asyncApiDocument(…)`). */
  asyncapi: Record<string, unknown>;
}

/** Path prefixes of these routes, public in the auth policy. */
export const CONTRACT_PATHS = ['/schemas', '/asyncapi.json', '/asyncapi.yaml'] as const;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'public, max-age=60, must-revalidate';
const tags = ['contracts'];

const segment = { type: 'string', minLength: 1, maxLength: 200 } as const;
const schemaParams = {
  type: 'object',
  additionalProperties: false,
  required: ['aggregate', 'eventType', 'file'],
  properties: {
    aggregate: { ...segment, description: 'Aggregate type, e.g. `order`.' },
    eventType: { ...segment, description: 'Event type, e.g. `OrderCreated`.' },
    file: { ...segment, description: 'Schema version, e.g. `v2.json`.' },
  },
} as const;
type SchemaParams = { aggregate: string; eventType: string; file: string };

/** Sends `body` with a strong ETag, or 304 when the client has it already. */
function sendCached(
  request: FastifyRequest,
  reply: FastifyReply,
  { body, etag, type, cache }: { body: string; etag: string; type: string; cache: string },
): FastifyReply {
  reply.header('etag', etag).header('cache-control', cache);
  const known = request.headers['if-none-match'];
  if (known !== undefined && known.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) {
    return reply.code(304).send();
  }
  return reply.type(type).send(body);
}

const etagOf = (text: string) => `"${createHash('sha256').update(text).digest('hex').slice(0, 32)}"`;

export async function schemaRoutes(app: FastifyInstance, { registry, asyncapi }: SchemaRouteOptions) {
  app.get<{ Params: SchemaParams }>(
    '/schemas/:aggregate/:eventType/:file',
    {
      schema: {
        tags,
        security: [],
        summary: 'The JSON Schema (2020-12) of an event type and version: what `dataschema` names',
        params: schemaParams,
      },
    },
    async (request, reply) => {
      const { aggregate, eventType, file } = request.params;
      const schema = registry.get(`${aggregate}/${eventType}/${file}`);
      if (schema === undefined) {
        throw new TributaryError('store.not_found', `There is no schema ${aggregate}/${eventType}/${file}.`, {
          details: { aggregate, eventType, file },
        });
      }
      return sendCached(request, reply, {
        body: schema.text,
        etag: schema.etag,
        type: SCHEMA_MEDIA_TYPE,
        cache: IMMUTABLE,
      });
    },
  );
  const json = `${JSON.stringify(asyncapi, null, 2)}\n`;
  const yaml = stringify(asyncapi, { aliasDuplicateObjects: false });
  const summary = 'The AsyncAPI 3.0 document of the topics';
  app.get('/asyncapi.json', { schema: { tags, security: [], summary } }, async (request, reply) =>
    sendCached(request, reply, {
      body: json,
      etag: etagOf(json),
      type: 'application/json',
      cache: REVALIDATE,
    }),
  );
  app.get('/asyncapi.yaml', { schema: { tags, security: [], summary } }, async (request, reply) =>
    sendCached(request, reply, {
      body: yaml,
      etag: etagOf(yaml),
      type: 'application/yaml',
      cache: REVALIDATE,
    }),
  );
}
