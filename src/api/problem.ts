import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { toTributaryError, TributaryError, type ErrorCode } from '../errors';
import { PATTERN_MESSAGES } from './schemas';

/**
 * The one place where errors become HTTP responses: RFC 9457 problem details with content type
 * application/problem+json. A TributaryError's code decides the status (PROBLEM_STATUSES); anything else is
 * first turned into one by `toTributaryError`. Plain HTTP failures of the framework (413, 415, unknown
 * route) keep their status with type about:blank. 5xx bodies carry a generic detail, never the message or
 * stack of the error, which go to the log only.
 */

/**
 * One invalid field: where and what is wrong with it. A schema failure names the part of the request and
 * the field (`body.lines[0].quantity`, `query.asOf`, `headers.if-match`); a `domain.validation` failure
 * names the command field as the domain does (`currency`, `customer.email`), which for order creation and
 * payments is the body field of the same name.
 */
export type FieldError = { path: string; message: string };

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: FieldError[];
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** HTTP status and title of every error code. */
export const PROBLEM_STATUSES: Readonly<Record<ErrorCode, { status: number; title: string }>> = {
  'input.invalid': { status: 400, title: 'Invalid request' },
  'domain.validation': { status: 400, title: 'Invalid command' },
  'auth.unauthenticated': { status: 401, title: 'Unauthorized' },
  'auth.forbidden': { status: 403, title: 'Forbidden' },
  'store.not_found': { status: 404, title: 'Not found' },
  'store.conflict': { status: 409, title: 'Version conflict' },
  'domain.rule': { status: 422, title: 'Not allowed in the current state' },
  'input.key_reused': { status: 422, title: 'Idempotency-Key reused for a different request' },
  'infra.unavailable': { status: 503, title: 'Service unavailable' },
  'infra.denied': { status: 503, title: 'Service unavailable' },
  internal: { status: 500, title: 'Internal error' },
  'config.invalid': { status: 500, title: 'Internal error' },
  'stack.prerequisite': { status: 500, title: 'Internal error' },
  'stack.port_in_use': { status: 500, title: 'Internal error' },
  'stack.start_failed': { status: 500, title: 'Internal error' },
};

/** The problem type URI of an error code (a relative reference, e.g. `/problems/store.conflict`). */
export function problemType(code: ErrorCode): string {
  return `/problems/${code}`;
}

// `/lines/0/quantity` → `lines[0].quantity`, the notation the domain uses for its fields too.
function dotted(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (path, segment) =>
        /^\d+$/.test(segment) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment,
      '',
    );
}

function fieldError(part: string, error: FastifySchemaValidationError): FieldError {
  const params = error.params;
  const at = (name: unknown) => [part, dotted(error.instancePath), String(name)].filter(Boolean).join('.');
  switch (error.keyword) {
    case 'required':
      return { path: at(params.missingProperty), message: 'is required' };
    case 'additionalProperties':
      return { path: at(params.additionalProperty), message: 'is not a known field' };
    case 'enum':
      return { path: at(''), message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'pattern':
      return {
        path: at(''),
        message: PATTERN_MESSAGES[String(params.pattern)] ?? error.message ?? 'is invalid',
      };
    default:
      return { path: at(''), message: error.message ?? 'is invalid' };
  }
}

const PART_NAMES: Record<string, string> = { querystring: 'query' };

/** A Fastify schema-validation failure as an `input.invalid` error listing every invalid field. */
export function validationError(errors: FastifySchemaValidationError[], context: string): TributaryError {
  const part = PART_NAMES[context] ?? context;
  const fields = errors.map((error) => fieldError(part, error));
  const listed = fields.map(({ path, message }) => `${path} ${message}`).join('; ');
  return new TributaryError('input.invalid', `The request is invalid: ${listed}.`, {
    details: { errors: fields },
  });
}

function isFieldErrors(value: unknown): value is FieldError[] {
  return (
    Array.isArray(value) &&
    value.every((item) => typeof item?.path === 'string' && typeof item?.message === 'string')
  );
}

function fieldErrorsOf(error: TributaryError): FieldError[] | undefined {
  const { errors, field } = error.details;
  if (isFieldErrors(errors)) return errors;
  if (typeof field === 'string') return [{ path: field, message: error.message }];
  return undefined;
}

/** Framework errors that are really malformed input; they become `input.invalid`. */
const MALFORMED_BODY: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'is empty, but Content-Type says application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'does not match its Content-Length',
};

export type ProblemOptions = { bodyLimitBytes: number };

function httpProblem(status: number, detail: string, instance: string): Problem {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, instance };
}

/** The problem details of any thrown value, as the response to `request`. */
export function toProblem(thrown: unknown, instance: string, options: ProblemOptions): Problem {
  const framework = thrown as Partial<FastifyError>;
  if (Array.isArray(framework.validation)) {
    return toProblem(
      validationError(framework.validation, framework.validationContext ?? 'body'),
      instance,
      options,
    );
  }
  const malformed = framework.code === undefined ? undefined : MALFORMED_BODY[framework.code];
  if (malformed !== undefined) {
    const error = new TributaryError('input.invalid', `The request body ${malformed}.`, {
      details: { errors: [{ path: 'body', message: malformed }] },
    });
    return toProblem(error, instance, options);
  }
  if (framework.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return httpProblem(
      413,
      `The request body is larger than the limit of ${options.bodyLimitBytes} bytes.`,
      instance,
    );
  }
  // Other 4xx of the framework and its plugins (415, an unknown route, ...): their messages are safe to show.
  if (!(thrown instanceof TributaryError) && typeof framework.statusCode === 'number') {
    if (framework.statusCode >= 400 && framework.statusCode < 500) {
      return httpProblem(framework.statusCode, framework.message ?? 'The request failed.', instance);
    }
  }
  const error = toTributaryError(thrown);
  const { status, title } = PROBLEM_STATUSES[error.code];
  const problem: Problem = { type: problemType(error.code), title, status, detail: error.message, instance };
  if (status >= 500) {
    problem.detail =
      status === 503
        ? 'A service this API depends on is unavailable; try again shortly.'
        : 'An unexpected error occurred; the X-Correlation-Id of this response identifies it in the logs.';
    return problem;
  }
  const errors = fieldErrorsOf(error);
  if (errors !== undefined) problem.errors = errors;
  return problem;
}

/** Sends `problem` as application/problem+json. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** Fastify error handler answering every error with problem details (5xx are logged with their cause). */
export function problemErrorHandler(options: ProblemOptions) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const problem = toProblem(error, request.url, options);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ problem: problem.type, status: problem.status }, problem.detail);
    return sendProblem(reply, problem);
  };
}

/** Fastify not-found handler: an unknown route is a plain HTTP 404. */
export function routeNotFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(
    reply,
    httpProblem(404, `There is no route ${request.method} ${request.url}.`, request.url),
  );
}

/**
 * Fastify's `frameworkErrors`: a URL it cannot decode (a malformed percent-encoding, or one that decodes to
 * an unpaired UTF-16 surrogate) is bad input, answered as problem+json like every other.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 400;
  const detail =
    error.code === 'FST_ERR_BAD_URL'
      ? 'The URL is not valid: its percent-encoding does not decode to UTF-8 text.'
      : (error.message ?? 'The request is not valid.');
  return sendProblem(reply, httpProblem(status, detail, request.url));
}

/** Statuses of the client errors Node's HTTP parser reports before a request reaches Fastify. */
const CLIENT_ERRORS: Record<string, { status: number; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    detail: 'The request headers are too large; the connection is closed.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    detail: 'The request was not received in time (HTTP_REQUEST_TIMEOUT_MS); the connection is closed.',
  },
};
const UNPARSABLE = 'The request could not be parsed as HTTP/1.1 and the connection is closed.';

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (bytes after a body that do not form a
 * request, headers too large, too slow) gets a problem+json answer on the raw socket, then the connection
 * closes. A connection the client already reset gets nothing.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return;
  const { status, detail } = CLIENT_ERRORS[error.code ?? ''] ?? { status: 400, detail: UNPARSABLE };
  const body = JSON.stringify(httpProblem(status, detail, '/'));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
