import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import type { OrderService } from '../commands/types';
import { ERROR_CODES, TributaryError } from '../errors';
import { buildApp } from './app';
import { PROBLEM_STATUSES, toProblem } from './problem';
import { startServer } from './server';
import { ApiClient, expectProblem } from '../../test/api/client';
import { FakeOrderService } from '../../test/api/fake-order-service';
import { TestIssuer } from '../../test/fixtures/auth';

const options = { bodyLimitBytes: 1024 };

describe('problem details', () => {
  it('every error code has one HTTP status; only input, auth, domain and store codes are 4xx', () => {
    const clientErrors = ERROR_CODES.filter((code) => PROBLEM_STATUSES[code].status < 500);
    expect(clientErrors.sort()).toEqual(
      [
        'auth.forbidden',
        'auth.unauthenticated',
        'domain.rule',
        'domain.validation',
        'input.invalid',
        'input.key_reused',
        'store.conflict',
        'store.not_found',
      ].sort(),
    );
    expect(PROBLEM_STATUSES['auth.unauthenticated'].status).toBe(401);
    expect(PROBLEM_STATUSES['auth.forbidden'].status).toBe(403);
    expect(PROBLEM_STATUSES['store.conflict'].status).toBe(409);
    expect(PROBLEM_STATUSES['domain.rule'].status).toBe(422);
    expect(PROBLEM_STATUSES['input.key_reused'].status).toBe(422);
    expect(PROBLEM_STATUSES['store.not_found'].status).toBe(404);
  });

  it('a domain.validation error is a 400 naming the field the domain names', () => {
    const error = new TributaryError('domain.validation', 'currency must be an ISO 4217 code', {
      details: { field: 'currency', value: 'ZZZ' },
    });
    expect(toProblem(error, '/orders', options)).toEqual({
      type: '/problems/domain.validation',
      title: 'Invalid command',
      status: 400,
      detail: 'currency must be an ISO 4217 code',
      instance: '/orders',
      errors: [{ path: 'currency', message: 'currency must be an ISO 4217 code' }],
    });
  });

  it('an unexpected throw is a 500 whose body reveals neither its message nor its stack', () => {
    const problem = toProblem(new Error('password=hunter2 in query at pool.ts:12:3'), '/orders', options);
    expect(problem).toEqual(expect.objectContaining({ status: 500, type: '/problems/internal' }));
    expect(JSON.stringify(problem)).not.toMatch(/hunter2|pool\.ts|Error/);
  });

  it('an internal TributaryError keeps its message out of the body too', () => {
    const problem = toProblem(new TributaryError('internal', 'stream order-1 is corrupt'), '/x', options);
    expect(problem.detail).not.toMatch(/corrupt/);
  });

  it('an unreachable dependency is a 503 that says to retry', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' });
    const problem = toProblem(refused, '/orders', options);
    expect(problem).toEqual(expect.objectContaining({ status: 503, type: '/problems/infra.unavailable' }));
    expect(problem.detail).not.toMatch(/5433/);
  });
});

describe('a failing service', () => {
  const failing: OrderService = Object.assign(new FakeOrderService(), {
    getOrder: async () => {
      throw new Error('relation "events" does not exist');
    },
  });
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  let app: FastifyInstance;
  let baseUrl = '';
  const issuer = new TestIssuer();
  const client = new ApiClient(() => baseUrl, issuer.headersFor('admin'));

  beforeAll(async () => {
    app = buildApp({ authenticator: issuer.authenticator(), service: failing, logger, swaggerUi: false });
    baseUrl = await startServer(app, { host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  it('gets a 500 problem+json without the cause, and the log has the cause under the correlation id', async () => {
    const response = await client.get('/orders/o-1', { 'x-correlation-id': 'trace-me' });
    const problem = expectProblem(response, 500, '/problems/internal');
    expect(problem.detail).not.toMatch(/"events"/);
    expect(response.headers['x-correlation-id']).toBe('trace-me');
    const logged = lines.find((line) => line.msg === 'request failed');
    expect(logged).toEqual(
      expect.objectContaining({
        correlationId: 'trace-me',
        err: expect.objectContaining({
          message: 'relation "events" does not exist',
          stack: expect.any(String),
        }),
      }),
    );
  });
});
