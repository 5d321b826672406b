import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { MASK, maskUrlPasswords, type Config } from '../config';

/**
 * Structured JSON logs on stdout; one logger per process, children per component. Secrets never reach them:
 * credentials in request headers and in fields named like secrets are replaced by `****`, and the password of
 * any URL inside a message or an error is masked (docs/security.md, "Secrets in logs").
 */

/** Fields that hold credentials wherever they appear, one or two levels down (request logs, error details). */
const SECRET_FIELDS = ['password', 'token', 'accessToken', 'apiKey', 'secret', 'authorization', 'cookie'];
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
];

function maskError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  for (const field of ['message', 'stack'] as const) {
    if (typeof serialized[field] === 'string') serialized[field] = maskUrlPasswords(serialized[field]);
  }
  return serialized;
}

export function loggerOptions(config: Pick<Config, 'logLevel'>, name: string): LoggerOptions {
  return {
    name,
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: MASK },
    serializers: { err: maskError, error: maskError },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg) => (typeof arg === 'string' ? maskUrlPasswords(arg) : arg));
        return method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
}

export function createLogger(
  config: Pick<Config, 'logLevel'>,
  name: string,
  destination?: DestinationStream,
): Logger {
  return destination ? pino(loggerOptions(config, name), destination) : pino(loggerOptions(config, name));
}

export type { Logger };
