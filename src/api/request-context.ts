import { hash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { principalOf } from '../auth';
import type { CommandMetadata, CommandOptions, IdempotencyScope } from '../commands/types';
import { TributaryError } from '../errors';
import { parseIfMatch } from './etag';

/**
 * What an HTTP request contributes to a command besides its body: the correlation id, the actor (the
 * authenticated principal, never a header) and the trace context (stored with every event), the If-Match
 * precondition and the Idempotency-Key.
 */

export const CORRELATION_ID_HEADER = 'x-correlation-id';

// Visible ASCII only: the id is echoed in a header and written to logs, so it must not carry line breaks.
const CORRELATION_ID = /^[\x21-\x7E]{1,128}$/;

/**
 * The request id Fastify logs and the API echoes as X-Correlation-Id: the client's X-Correlation-Id when it
 * is 1–128 visible ASCII characters, otherwise a new UUID. An unusable id is replaced rather than rejected:
 * tracing headers should never make a command fail, and the response tells the client the id in use.
 */
export function correlationIdOf(request: IncomingMessage): string {
  const header = request.headers[CORRELATION_ID_HEADER];
  return typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
}

// W3C Trace Context level 1: version-traceid-parentid-flags, lowercase hex, version ff and all-zero ids invalid.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/**
 * The traceparent header when it is valid, else undefined. The W3C spec says a receiver that cannot parse
 * it starts a new trace instead of failing the request, so an invalid value is dropped, not rejected.
 */
export function validTraceparent(header: string | undefined): string | undefined {
  const match = header === undefined ? null : TRACEPARENT.exec(header.trim());
  if (match === null) return undefined;
  const [value, version, traceId, parentId] = match;
  const allZero = (hex = '') => /^0+$/.test(hex);
  return version === 'ff' || allZero(traceId) || allZero(parentId) ? undefined : value;
}

/**
 * The Idempotency-Key header without the quotes of the IETF draft's structured-field form
 * (`Idempotency-Key: "abc"`), so quoted and bare forms of one key are the same key.
 */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const quoted = /^"(.+)"$/.exec(header);
  return quoted?.[1] ?? header;
}

type CommandHeaders = {
  'if-match'?: string;
  'idempotency-key'?: string;
  traceparent?: string;
};

function header(request: FastifyRequest, name: keyof CommandHeaders): string | undefined {
  const value = (request.headers as CommandHeaders)[name];
  return typeof value === 'string' ? value : undefined;
}

/** Correlation id, actor and trace context of the request, as stored with the events. */
export function metadataOf(request: FastifyRequest): CommandMetadata {
  const metadata: CommandMetadata = { correlationId: request.id, actor: principalOf(request).id };
  const traceparent = validTraceparent(header(request, 'traceparent'));
  if (traceparent !== undefined) metadata.traceparent = traceparent;
  return metadata;
}

/**
 * The CommandOptions of a request. `conditional: false` is for commands that create a new stream (the
 * order, a payment): there is no version of it a client could have seen, so an If-Match there is a
 * client mistake and gets a 400 rather than being silently ignored.
 */
export function commandOptionsOf(
  request: FastifyRequest,
  { conditional }: { conditional: boolean },
): CommandOptions {
  const options: CommandOptions = { metadata: metadataOf(request) };
  const ifMatch = header(request, 'if-match');
  if (ifMatch !== undefined && !conditional) {
    throw new TributaryError(
      'input.invalid',
      `If-Match is not supported here: ${request.method} ${request.url} creates a new resource`,
      {
        details: { errors: [{ path: 'headers.if-match', message: 'is not supported on this endpoint' }] },
      },
    );
  }
  const expectedVersion = parseIfMatch(ifMatch);
  if (expectedVersion !== undefined) options.expectedVersion = expectedVersion;
  const idempotencyKey = idempotencyKeyOf(header(request, 'idempotency-key'));
  if (idempotencyKey !== undefined) {
    options.idempotencyKey = idempotencyKey;
    options.idempotencyScope = idempotencyScopeOf(request);
  }
  return options;
}

/**
 * Whose key it is and where it was sent: the principal's id and the request's method and path (without the
 * query). One principal's key never answers another's request, nor one sent to another resource.
 */
export function idempotencyScopeOf(request: FastifyRequest): IdempotencyScope {
  const path = request.url.split('?', 1)[0] ?? request.url;
  return { principal: principalOf(request).id, route: `${request.method} ${path}` };
}

// Namespace of the name-based ids this API mints (a random UUID chosen once; changing it changes the ids).
const ID_NAMESPACE = '5f0c1a52-e2a4-4c1f-9a3b-e2b3f6c0d7a1';

/** A name-based (version 5, RFC 9562) UUID of `name` in `namespace` (default: the API's own). */
export function nameBasedUuid(name: string, namespace = ID_NAMESPACE): string {
  const input = Buffer.concat([Buffer.from(namespace.replace(/-/g, ''), 'hex'), Buffer.from(name, 'utf8')]);
  const bytes = hash('sha1', input, 'buffer').subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of a new aggregate when the client names none. With an Idempotency-Key it is derived from the key
 * and its scope (principal and route), so a retried request builds the same command and the service
 * recognises it as the same request, while the same key of another principal makes another id; without a
 * key it is random.
 */
export function newId(options: CommandOptions): string {
  const { idempotencyKey: key, idempotencyScope: scope } = options;
  if (key === undefined) return randomUUID();
  return nameBasedUuid(`${scope?.principal ?? ''}\n${scope?.route ?? ''}\n${key}`);
}
