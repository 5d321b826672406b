import { TributaryError } from '../errors';
import {
  checkNewOrderCustomer,
  checkPolicyTable,
  checkRoles,
  customerScopeOf,
  historyFor,
  policyOf,
  ROUTE_POLICIES,
  STAFF_ACTOR,
  type RoutePolicy,
} from './policy';
import type { Principal, Role } from './principal';

const who = (roles: Role[], customerId?: string): Principal => ({
  id: `p-${roles.join('-')}`,
  kind: 'user',
  roles,
  ...(customerId === undefined ? {} : { customerId }),
});
const customer = who(['customer'], 'c-1');
const support = who(['support']);
const finance = who(['finance']);
const admin = who(['admin']);

/** Whether `principal` passes the role check of `route`. */
function allowed(route: string, principal: Principal): boolean {
  const [method, url] = route.split(' ');
  const policy = policyOf(method!, url!, ['/docs']) as RoutePolicy;
  try {
    checkRoles(policy, principal, route);
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe('auth.forbidden');
    return false;
  }
}

describe('the policy table', () => {
  it.each([
    // route, customer, support, finance, admin
    ['POST /orders', true, false, false, true],
    ['POST /orders/:id/lines', true, false, false, true],
    ['DELETE /orders/:id/lines/:sku', true, false, false, true],
    ['POST /orders/:id/confirm', true, false, false, true],
    ['POST /orders/:id/cancel', true, true, false, true],
    ['POST /orders/:id/payments', false, false, true, true],
    ['POST /payments/:id/refunds', false, false, true, true],
    ['GET /orders/:id', true, true, true, true],
    ['GET /orders/:id/history', true, true, true, true],
    ['GET /orders/:id/fulfilment', true, true, true, true],
    ['GET /search/orders', true, true, true, true],
    ['GET /reports/daily', false, false, true, true],
    ['GET /reports/customers/:id', false, false, true, true],
    ['GET /reports/top-skus', false, false, true, true],
    ['POST /inventory/:sku/receipts', false, true, false, true],
    ['POST /inventory/:sku/adjustments', false, true, false, true],
    ['GET /inventory/:sku', false, true, false, true],
  ])('%s: customer %s, support %s, finance %s, admin %s', (route, c, s, f, a) => {
    expect([customer, support, finance, admin].map((p) => allowed(route, p))).toEqual([c, s, f, a]);
  });

  it('lists exactly the routes above', () => {
    expect(Object.keys(ROUTE_POLICIES)).toHaveLength(17);
  });

  it('HEAD follows GET, the docs are public, and an undeclared route has no policy', () => {
    expect(policyOf('HEAD', '/orders/:id', ['/docs'])).toBe(ROUTE_POLICIES['GET /orders/:id']);
    expect(policyOf('GET', '/docs', ['/docs'])).toBe('public');
    expect(policyOf('GET', '/docs/json', ['/docs'])).toBe('public');
    expect(policyOf('GET', '/docsx', ['/docs'])).toBeUndefined();
    expect(policyOf('PUT', '/orders/:id', ['/docs'])).toBeUndefined();
  });

  it('every route open to customers says how they are held to their own orders', () => {
    expect(() => checkPolicyTable()).not.toThrow();
    expect(() => checkPolicyTable({ 'GET /x': { roles: ['customer'] } })).toThrow(/without a scope/);
  });

  it('the 403 names the route and the roles it needs', () => {
    expect(() => checkRoles(ROUTE_POLICIES['GET /reports/daily']!, customer, 'GET /reports/daily')).toThrow(
      /GET \/reports\/daily needs one of the roles finance, admin; this credential has customer/,
    );
  });
});

describe('customers are held to their own customer id', () => {
  it('staff act for every customer, even with the customer role too; a customer for itself', () => {
    expect(customerScopeOf(admin)).toBeUndefined();
    expect(customerScopeOf(who(['customer', 'support'], 'c-9'))).toBeUndefined();
    expect(customerScopeOf(customer)).toBe('c-1');
  });

  it('a customer credential without a customer id may see nothing (never everything)', () => {
    expect(() => customerScopeOf(who(['customer']))).toThrow(/names no customer id/);
  });

  it('a customer may place an order for itself only', () => {
    expect(() => checkNewOrderCustomer(customer, 'c-1')).not.toThrow();
    expect(() => checkNewOrderCustomer(customer, 'c-2')).toThrow(/own customer id/);
    expect(() => checkNewOrderCustomer(admin, 'c-2')).not.toThrow();
  });

  it('a customer sees its own actor in the history, and "staff" for anyone else', () => {
    const events = [
      { version: 1, metadata: { actor: customer.id } },
      { version: 2, metadata: { actor: 'support-agent@shop.example' } },
      { version: 3, metadata: {} },
    ];
    expect(historyFor(customer, events).map((e) => e.metadata)).toEqual([
      { actor: customer.id },
      { actor: STAFF_ACTOR },
      {},
    ]);
    expect(historyFor(support, events)).toEqual(events);
  });
});
