import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TributaryError } from '../errors';
import type { Authenticator } from './authenticator';
import {
  checkNewOrderCustomer,
  checkPolicyTable,
  checkRoles,
  customerScopeOf,
  policyOf,
  type RoutePolicy,
} from './policy';

/**
 * Authentication and authorization wired into Fastify. Per request, in this order:
 *  1. onRequest: the credential becomes `request.principal` (401 otherwise), an X-Actor header is refused
 *     (400: the actor is the principal), and the route's roles are checked (403) — all before the body
 *     is even read, so a caller who may not do something learns nothing from validation errors;
 *  2. preHandler (after validation): a `customer` is held to its own orders (404 for another's) and to its
 *     own customer id when placing one (403).
 * Routes are checked as they are registered: one missing from the policy table stops the app at start-up.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's policy, attached at registration from the policy table. */
    auth?: RoutePolicy | 'public';
  }
}

export interface AuthHookOptions {
  authenticator: Authenticator;
  /** Path prefixes anyone may call (the OpenAPI document and its UI). */
  publicPrefixes: readonly string[];
  /** The customer id of an order, or undefined when the order does not exist. */
  customerOfOrder(orderId: string): Promise<string | undefined>;
  /** The 404 of an order that does not exist: a customer gets exactly this for another customer's order. */
  orderNotFound(orderId: string): Error;
}

export const ACTOR_HEADER = 'x-actor';

function refuseActorHeader(request: FastifyRequest): void {
  if (request.headers[ACTOR_HEADER] === undefined) return;
  throw new TributaryError(
    'input.invalid',
    'X-Actor is not accepted: the actor of every event is the authenticated caller (the token subject or the API key client).',
    { details: { errors: [{ path: `headers.${ACTOR_HEADER}`, message: 'is not accepted' }] } },
  );
}

async function authenticate(
  request: FastifyRequest,
  reply: FastifyReply,
  { authenticator }: AuthHookOptions,
): Promise<void> {
  const policy = request.routeOptions.config.auth;
  if (policy === undefined || policy === 'public') return; // unknown routes answer 404 on their own
  try {
    request.principal = await authenticator.authenticate(request.headers);
  } catch (error) {
    if (error instanceof TributaryError && error.code === 'auth.unauthenticated') {
      const invalid =
        request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined;
      reply.header('www-authenticate', authenticator.challenges(invalid));
    }
    throw error;
  }
  refuseActorHeader(request);
  checkRoles(policy, request.principal, `${request.method} ${request.routeOptions.url}`);
}

async function holdCustomer(request: FastifyRequest, options: AuthHookOptions): Promise<void> {
  const policy = request.routeOptions.config.auth;
  const principal = request.principal;
  if (policy === undefined || policy === 'public' || principal === undefined) return;
  const own = customerScopeOf(principal);
  if (own === undefined) return;
  if (policy.customer === 'new-order') {
    checkNewOrderCustomer(principal, (request.body as { customer: { id: string } }).customer.id);
  } else if (policy.customer === 'order') {
    const orderId = (request.params as { id: string }).id;
    if ((await options.customerOfOrder(orderId)) !== own) throw options.orderNotFound(orderId);
  }
}

/** Registers the hooks; call before any route is registered. */
export function registerAuth(app: FastifyInstance, options: AuthHookOptions): void {
  checkPolicyTable();
  app.decorateRequest('principal', undefined);
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    const methods = ([] as string[]).concat(route.method);
    const policies = methods.map((method) => policyOf(method, url, options.publicPrefixes));
    if (policies.some((policy) => policy === undefined || policy !== policies[0])) {
      throw new TributaryError(
        'internal',
        `route ${methods.join(',')} ${url} has no entry (or one per method) in the policy table (src/auth/policy.ts)`,
      );
    }
    route.config = { ...route.config, auth: policies[0] };
  });
  app.addHook('onRequest', (request, reply) => authenticate(request, reply, options));
  app.addHook('preHandler', (request) => holdCustomer(request, options));
}
