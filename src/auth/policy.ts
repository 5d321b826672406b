import { TributaryError } from '../errors';
import { isStaff, type Principal, type Role } from './principal';

/**
 * Who may do what: one table from route to the roles allowed, and for the `customer` role how it is held
 * to its own customer id. Every route of the API must be in this table or under a public prefix (docs);
 * the app refuses to start otherwise, so a new route is never open by accident.
 *
 *   customer  places orders for its own customer id; reads, changes, confirms and cancels its own orders;
 *             searches its own orders; no payments, refunds or reports
 *   support   reads every order, its history and search; may cancel; no payments, refunds or reports
 *   finance   records payments and refunds; reads orders, history, search and the reports
 *   support and admin also receive and adjust stock and read its levels; reservations are the workflow's
 *   admin     everything
 */

/**
 * How a route holds a `customer` principal to its own orders:
 *  - `order`: the path's `:id` is an order; another customer's order answers 404, exactly as an order that
 *    does not exist (its existence is not revealed);
 *  - `new-order`: the body's `customer.id` must be the principal's own, else 403;
 *  - `search`: the route filters by the principal's customer id in the query itself.
 */
export type CustomerScope = 'order' | 'new-order' | 'search';

export interface RoutePolicy {
  readonly roles: readonly Role[];
  /** Required when `roles` includes `customer`. */
  readonly customer?: CustomerScope;
}

const anyone = ['customer', 'support', 'finance', 'admin'] as const;

/** The policy of every route, by `METHOD /url` as the routes are declared. */
export const ROUTE_POLICIES: Readonly<Record<string, RoutePolicy>> = {
  'POST /orders': { roles: ['customer', 'admin'], customer: 'new-order' },
  'POST /orders/:id/lines': { roles: ['customer', 'admin'], customer: 'order' },
  'DELETE /orders/:id/lines/:sku': { roles: ['customer', 'admin'], customer: 'order' },
  'POST /orders/:id/confirm': { roles: ['customer', 'admin'], customer: 'order' },
  'POST /orders/:id/cancel': { roles: ['customer', 'support', 'admin'], customer: 'order' },
  'POST /orders/:id/payments': { roles: ['finance', 'admin'] },
  'POST /payments/:id/refunds': { roles: ['finance', 'admin'] },
  'GET /orders/:id': { roles: anyone, customer: 'order' },
  'GET /orders/:id/history': { roles: anyone, customer: 'order' },
  'GET /orders/:id/fulfilment': { roles: anyone, customer: 'order' },
  'GET /search/orders': { roles: anyone, customer: 'search' },
  'GET /reports/daily': { roles: ['finance', 'admin'] },
  'GET /reports/customers/:id': { roles: ['finance', 'admin'] },
  'GET /reports/top-skus': { roles: ['finance', 'admin'] },
  'POST /inventory/:sku/receipts': { roles: ['support', 'admin'] },
  'POST /inventory/:sku/adjustments': { roles: ['support', 'admin'] },
  'GET /inventory/:sku': { roles: ['support', 'admin'] },
};

/**
 * The policy of a route, `'public'` for one anyone may call, or undefined for a route nobody declared.
 * HEAD follows GET.
 */
export function policyOf(
  method: string,
  url: string,
  publicPrefixes: readonly string[],
): RoutePolicy | 'public' | undefined {
  if (publicPrefixes.some((prefix) => url === prefix || url.startsWith(`${prefix}/`))) return 'public';
  return ROUTE_POLICIES[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}

/** A policy naming `customer` without saying how it is scoped would let a customer act for anyone. */
export function checkPolicyTable(policies: Readonly<Record<string, RoutePolicy>> = ROUTE_POLICIES): void {
  for (const [route, policy] of Object.entries(policies)) {
    if (policy.roles.includes('customer') && policy.customer === undefined) {
      throw new TributaryError('internal', `route policy ${route} lets customers in without a scope`);
    }
  }
}

/** Throws 403 unless one of the principal's roles is allowed. */
export function checkRoles(policy: RoutePolicy, principal: Principal, route: string): void {
  if (principal.roles.some((role) => policy.roles.includes(role))) return;
  throw new TributaryError(
    'auth.forbidden',
    `${route} needs one of the roles ${policy.roles.join(', ')}; this credential has ${principal.roles.join(', ')}.`,
    { details: { route, allowed: [...policy.roles] } },
  );
}

/**
 * The customer id a principal is held to on a route, or undefined when it is not held to one: staff roles
 * (support, finance, admin) act for every customer, even when a credential also has the customer role.
 */
export function customerScopeOf(principal: Principal): string | undefined {
  if (isStaff(principal)) return undefined;
  // Never "not held to one" by omission: a customer without its id may see nothing.
  if (principal.customerId === undefined || principal.customerId === '') {
    throw new TributaryError('auth.forbidden', 'This customer credential names no customer id.');
  }
  return principal.customerId;
}

/** 403 unless a `customer` principal places an order for itself. */
export function checkNewOrderCustomer(principal: Principal, customerId: string): void {
  const own = customerScopeOf(principal);
  if (own === undefined || own === customerId) return;
  throw new TributaryError('auth.forbidden', 'A customer may place orders for its own customer id only.', {
    details: { errors: [{ path: 'body.customer.id', message: 'must be your own customer id' }] },
  });
}

/** What a customer sees as the actor of events it did not cause itself: who exactly at the shop is not its business. */
export const STAFF_ACTOR = 'staff';

/**
 * An order's history as `principal` may see it: whole for staff; for a customer (who sees only its own
 * orders) the actors of events caused by someone else are shown as `staff`, since a staff member's
 * subject may be an internal id or even an e-mail address.
 */
export function historyFor<Entry extends { metadata: { actor?: string } }>(
  principal: Principal,
  events: readonly Entry[],
): Entry[] {
  if (customerScopeOf(principal) === undefined) return [...events];
  return events.map((event) =>
    event.metadata.actor === undefined || event.metadata.actor === principal.id
      ? event
      : { ...event, metadata: { ...event.metadata, actor: STAFF_ACTOR } },
  );
}
