import type { FastifyRequest } from 'fastify';
import { TributaryError } from '../errors';

/**
 * Who is calling: what authentication (src/auth/hook.ts) makes of a request's credential, and what
 * authorization, the actor of every event and per-principal limits are decided on.
 */

export const ROLES = ['customer', 'support', 'finance', 'admin'] as const;
export type Role = 'customer' | 'support' | 'finance' | 'admin';

export interface Principal {
  /** Stable id: the JWT `sub`, or `apikey:<clientId>` for an API key. Also the actor stored in events. */
  readonly id: string;
  readonly kind: 'user' | 'service';
  readonly roles: readonly Role[];
  /** Set for the customer role: the only customer id it may act for and see. */
  readonly customerId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook before anything else runs; undefined on public routes. */
    principal?: Principal;
  }
}

/** True for the names of ROLES. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The 401 of a request without a usable credential. `detail` says why, without echoing the credential. */
export function unauthenticated(detail: string): TributaryError {
  return new TributaryError('auth.unauthenticated', detail);
}

/** The authenticated principal of a request (set by the auth hook); throws 401 (problem+json) if none. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (principal === undefined) throw unauthenticated('This request needs a credential.');
  return principal;
}

/** Staff see every customer's orders and e-mail addresses; a customer sees only its own. */
export function isStaff(principal: Principal): boolean {
  return principal.roles.some((role) => role !== 'customer');
}
