import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Rate limiting per principal (@fastify/rate-limit): at most `max` requests per `windowMs` for each
 * authenticated caller, so one customer's or one service's burst cannot take the API from the others.
 * Counted after authentication and before validation (the `preValidation` hook), so invalid and refused
 * requests count too. Over the limit: 429 problem+json with `Retry-After` and the `x-ratelimit-*` headers.
 * Requests on public routes (the docs) count per client address. The counters live in the process: each API
 * instance limits on its own (docs/security.md, "Limits").
 */
export interface RateLimitOptions {
  /** Requests per window per principal; 0 turns the limit off. */
  max: number;
  windowMs: number;
}

function keyOf(request: FastifyRequest): string {
  return request.principal ? `principal:${request.principal.id}` : `ip:${request.ip}`;
}

/** Registers the limit before the routes (plugins load in order), so it covers every one of them. */
export function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): void {
  if (options.max <= 0) return;
  void app.register(rateLimit, {
    global: true,
    hook: 'preValidation',
    max: options.max,
    timeWindow: options.windowMs,
    keyGenerator: keyOf,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      message: `Too many requests: at most ${context.max} per ${options.windowMs} ms for each caller; retry in ${context.after}.`,
    }),
  });
}
