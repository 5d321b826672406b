import { ApiClient, errorPaths, expectProblem, newOrderBody, secondLine } from './client';

/** Bad input is a 4xx problem that says what is wrong; it never reaches the store and never becomes a 500. */
export function invalidRequestContract(client: ApiClient, bodyLimitBytes: number): void {
  const json = { 'content-type': 'application/json' };

  it('malformed JSON gets 400 problem+json pointing at the body', async () => {
    const problem = expectProblem(
      await client.post('/orders', '{"currency": "EUR",', json),
      400,
      '/problems/input.invalid',
    );
    expect(problem.errors).toEqual([{ path: 'body', message: expect.stringMatching(/not valid JSON/) }]);
  });

  it('an empty body with a JSON content type gets 400', async () => {
    expectProblem(await client.post('/orders', '', json), 400, '/problems/input.invalid');
  });

  it('a body that is not an object gets 400', async () => {
    const problem = expectProblem(await client.post('/orders', '[1, 2]', json), 400);
    expect(errorPaths(problem)).toEqual(['body']);
  });

  it('wrong types get 400 listing every invalid field, and are never coerced', async () => {
    const body = newOrderBody({ currency: 978, lines: [{ ...secondLine, quantity: '2' }] });
    const problem = expectProblem(await client.post('/orders', body), 400, '/problems/input.invalid');
    expect(errorPaths(problem).sort()).toEqual(['body.currency', 'body.lines[0].quantity']);
    expect(problem.detail).toMatch(/body\.lines\[0\]\.quantity must be integer/);
  });

  it('unknown fields are rejected with 400 naming them', async () => {
    const body = newOrderBody({ discount: 10, customer: { id: 'c', name: 'n', email: 'a@b.c', vip: true } });
    const problem = expectProblem(await client.post('/orders', body), 400);
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.discount', message: 'is not a known field' },
        { path: 'body.customer.vip', message: 'is not a known field' },
      ]),
    );
  });

  it('missing fields get 400 naming each of them', async () => {
    const problem = expectProblem(await client.post('/orders', { lines: [] }), 400);
    expect(errorPaths(problem)).toEqual(
      expect.arrayContaining(['body.customer', 'body.currency', 'body.lines']),
    );
  });

  it('a negative quantity gets 400', async () => {
    const body = newOrderBody({ lines: [{ ...secondLine, quantity: -1 }] });
    const problem = expectProblem(await client.post('/orders', body), 400);
    expect(errorPaths(problem)).toEqual(['body.lines[0].quantity']);
  });

  it('a blank name and a malformed currency get 400 with readable messages', async () => {
    const body = newOrderBody({ currency: 'eur', lines: [{ ...secondLine, name: '   ' }] });
    const problem = expectProblem(await client.post('/orders', body), 400);
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.currency', message: expect.stringMatching(/ISO 4217/) },
        { path: 'body.lines[0].name', message: 'must not be blank' },
      ]),
    );
  });

  it('a currency code that does not exist is a domain.validation 400', async () => {
    const problem = expectProblem(
      await client.post('/orders', newOrderBody({ currency: 'ZZZ' })),
      400,
      '/problems/domain.validation',
    );
    expect(problem.detail).toMatch(/currency/);
    expect(errorPaths(problem)).toEqual(['currency']);
  });

  it('duplicate SKUs on a new order are a domain.validation 400', async () => {
    const body = newOrderBody({ lines: [secondLine, secondLine] });
    expectProblem(await client.post('/orders', body), 400, '/problems/domain.validation');
  });

  it('a body larger than the limit gets 413 problem+json', async () => {
    const body = newOrderBody({ customer: { id: 'c', name: 'x'.repeat(bodyLimitBytes), email: 'a@b.c' } });
    const problem = expectProblem(await client.post('/orders', body), 413, 'about:blank');
    expect(problem.detail).toMatch(String(bodyLimitBytes));
  });

  it('a body that is not JSON gets 415', async () => {
    expectProblem(
      await client.post('/orders', 'currency=EUR', { 'content-type': 'text/plain' }),
      415,
      'about:blank',
    );
  });

  it('a body on a command that takes none must be an empty object', async () => {
    const order = await client.createOrder();
    const problem = expectProblem(await client.post(`/orders/${order.id}/confirm`, { force: true }), 400);
    expect(errorPaths(problem)).toEqual(['body.force']);
  });

  it('an X-Actor header gets 400: the actor is the authenticated caller', async () => {
    const problem = expectProblem(
      await client.post('/orders', newOrderBody(), { 'x-actor': 'clerk-7' }),
      400,
    );
    expect(errorPaths(problem)).toEqual(['headers.x-actor']);
  });

  it('an unknown route gets 404 problem+json', async () => {
    expectProblem(await client.get('/nothing-here'), 404, 'about:blank');
  });
}
