/**
 * The one error model of Tributary: a closed set of codes, a cause, and a retriable flag.
 * Everything that crosses a boundary (CLI, HTTP, pipeline) is a TributaryError; `toTributaryError`
 * turns anything else into one, and `isRetriable` is the single place retry decisions are made.
 */
import { SQLSTATE } from './sqlstate';

export { isRejectedByServer, isUniqueViolation, sqlStateOf, SQLSTATE } from './sqlstate';

export const ERROR_CODES = [
  'config.invalid', // a setting has a bad value; the message names it
  'stack.prerequisite', // a tool the local stack needs is missing or too old
  'stack.port_in_use', // a port the stack needs is held by another process
  'stack.start_failed', // a service did not start or become healthy in time
  'domain.validation', // a command is malformed (bad quantity, currency, ...)
  'domain.rule', // a command is well formed but not allowed in the current state
  'store.conflict', // optimistic concurrency: the stream is not at the expected version
  'store.not_found', // the stream does not exist
  'infra.unavailable', // a service (PostgreSQL, Kafka, Elasticsearch) cannot be reached right now
  'infra.denied', // a service refused this process's credential, certificate check or grant: an operator fixes it
  'input.invalid', // bad input from outside (HTTP body, CLI argument, message on a topic)
  'input.key_reused', // an Idempotency-Key sent again with a different request
  'auth.unauthenticated', // no credential, or one that is not valid (expired, wrong issuer, revoked, ...)
  'auth.forbidden', // a valid credential whose roles do not allow the request
  'internal', // anything else: a bug
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  /** Structured facts for logs and problem+json bodies (never secrets). */
  details?: Record<string, unknown>;
}

export class TributaryError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;
  override readonly cause: unknown;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message);
    this.name = 'TributaryError';
    this.code = code;
    this.cause = options.cause;
    this.retriable = options.retriable ?? false;
    this.details = options.details ?? {};
  }
}

/**
 * Which failures of PostgreSQL and the network are worth retrying. One table, not scattered `if`s.
 * PostgreSQL SQLSTATEs: serialization failure, a statement timeout, deadlock, admin/crash shutdown, cannot connect now,
 * too many connections; Node network errors by errno code.
 */
export const RETRIABLE_CODES: ReadonlySet<string> = new Set([
  SQLSTATE.serializationFailure,
  SQLSTATE.queryCanceled, // statement_timeout: the API answers 503, the client may retry
  SQLSTATE.deadlockDetected,
  SQLSTATE.adminShutdown,
  SQLSTATE.crashShutdown,
  SQLSTATE.cannotConnectNow,
  SQLSTATE.tooManyConnections,
  SQLSTATE.connectionException,
  SQLSTATE.connectionDoesNotExist,
  SQLSTATE.connectionFailure,
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * node-postgres errors without a SQLSTATE or errno that mean the connection went away (the server restarted,
 * the network dropped it): a new connection may well succeed.
 */
export const RETRIABLE_DRIVER_MESSAGES: readonly RegExp[] = [
  /^Connection terminated/,
  /Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /timeout exceeded when trying to connect/,
  // The pool's client-side query timeout (a connection that no longer answers).
  /^Query read timeout/,
];

/** True when trying the same operation again may succeed. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof TributaryError) return error.retriable;
  const code = errnoCode(error);
  if (code !== undefined && RETRIABLE_CODES.has(code)) return true;
  if (code === undefined && error instanceof Error) {
    if (RETRIABLE_DRIVER_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  }
  // kafkajs marks its own errors.
  if (typeof error === 'object' && error !== null && 'retriable' in error) {
    return (error as { retriable: unknown }).retriable === true;
  }
  return false;
}

/** Wraps any thrown value into a TributaryError, keeping the original as `cause`. */
export function toTributaryError(error: unknown): TributaryError {
  if (error instanceof TributaryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const retriable = isRetriable(error);
  return new TributaryError(retriable ? 'infra.unavailable' : 'internal', message, {
    cause: error,
    retriable,
  });
}
