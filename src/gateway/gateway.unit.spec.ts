import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { TributaryError } from '../errors';
import {
  buildFakeGateway,
  createGatewayClient,
  DECLINE_REASON,
  type FakeGateway,
  type PaymentGateway,
} from '.';

/**
 * The gateway client against the fake gateway on a loopback port: idempotent captures and refunds, declines
 * as answers, and each fault as the caller meets it — a lost answer (captured, found again by its key), a
 * timeout (nothing captured), a 503, a refused key.
 */

const API_KEY = 'test-gateway-key';
let fake: FakeGateway;
let gateway: PaymentGateway;
let url: string;

beforeAll(async () => {
  fake = buildFakeGateway({ apiKey: API_KEY });
  await fake.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(fake.app.server.address() as AddressInfo).port}`;
  gateway = createGatewayClient({ url, apiKey: API_KEY, timeoutMs: 300 });
});

afterAll(() => fake.app.close());

beforeEach(() => {
  Object.assign(fake.faults, { declineRate: 0, timeoutRate: 0, lostAnswerRate: 0, failRate: 0, slowMs: 0 });
  fake.faults.byOrder = {};
});

const capture = (key: string, orderId = key) =>
  gateway.capture({ idempotencyKey: key, orderId, amount: 1500, currency: 'EUR' });

async function failure(call: Promise<unknown>): Promise<TributaryError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TributaryError);
  return error as TributaryError;
}

it('a capture asked twice with one key charges once and answers the same capture', async () => {
  const before = { ...fake.stats };
  const first = await capture('k-1');
  const again = await capture('k-1');
  expect(first).toMatchObject({ status: 'captured', amount: 1500, currency: 'EUR', orderId: 'k-1' });
  expect(again).toEqual(first);
  expect(fake.stats.captured - before.captured).toBe(1);
  expect(fake.stats.capturedAmount - before.capturedAmount).toBe(1500);
  expect(await gateway.findCapture('k-1')).toEqual(first);
});

it('a decline is an answer with a reason, and stays the answer for its key', async () => {
  fake.faults.byOrder['o-declined'] = 'decline';
  const declined = await capture('k-2', 'o-declined');
  expect(declined).toMatchObject({ status: 'declined', declineReason: DECLINE_REASON });
  expect(await capture('k-2', 'o-declined')).toEqual(declined);
});

it('a lost answer: the call fails as unavailable, the capture happened and is found by its key', async () => {
  fake.faults.byOrder['o-lost'] = 'lost-answer';
  const error = await failure(capture('k-3', 'o-lost'));
  expect(error).toMatchObject({ code: 'infra.unavailable', retriable: true });
  const found = await gateway.findCapture('k-3');
  expect(found).toMatchObject({ status: 'captured', orderId: 'o-lost' });
  const before = fake.stats.captured;
  expect(await capture('k-3', 'o-lost')).toEqual(found); // the retry is answered, not charged again
  expect(fake.stats.captured).toBe(before);
});

it('a timeout: the call is abandoned at the deadline and nothing was captured', async () => {
  fake.faults.byOrder['o-slow'] = 'timeout';
  const started = Date.now();
  const error = await failure(capture('k-4', 'o-slow'));
  expect(error.code).toBe('infra.unavailable');
  expect(error.message).toMatch(/timed out/);
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  expect(await gateway.findCapture('k-4')).toBeUndefined();
});

it('a 503 is retriable and captured nothing', async () => {
  fake.faults.failRate = 1;
  const error = await failure(capture('k-5'));
  expect(error).toMatchObject({ code: 'infra.unavailable', retriable: true });
  fake.faults.failRate = 0;
  expect(await gateway.findCapture('k-5')).toBeUndefined();
});

it('refunds are idempotent by key and never exceed the capture', async () => {
  const captured = await capture('k-6');
  const refund = await gateway.refund({ idempotencyKey: 'r-1', captureId: captured.id, amount: 1000 });
  expect(await gateway.refund({ idempotencyKey: 'r-1', captureId: captured.id, amount: 1000 })).toEqual(
    refund,
  );
  const error = await failure(gateway.refund({ idempotencyKey: 'r-2', captureId: captured.id, amount: 600 }));
  expect(error.code).toBe('domain.rule');
  expect(error.message).toMatch(/only 500/);
  expect(await gateway.findCapture('k-6')).toMatchObject({ refundedAmount: 1000 });
});

it('a wrong API key is infra.denied', async () => {
  const intruder = createGatewayClient({ url, apiKey: 'wrong', timeoutMs: 300 });
  expect((await failure(intruder.findCapture('k-1'))).code).toBe('infra.denied');
});

it('callbacks are posted for each capture, twice when duplicates are switched on', async () => {
  const received: unknown[] = [];
  const receiver = Fastify();
  receiver.post('/callback', async (request) => {
    received.push(request.body);
    return {};
  });
  await receiver.listen({ host: '127.0.0.1', port: 0 });
  const callbackUrl = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/callback`;
  const noisy = buildFakeGateway({ apiKey: API_KEY, callbackUrl, faults: { duplicateCallbacks: true } });
  await noisy.app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const client = createGatewayClient({
      url: `http://127.0.0.1:${(noisy.app.server.address() as AddressInfo).port}`,
      apiKey: API_KEY,
      timeoutMs: 1000,
    });
    const made = await client.capture({
      idempotencyKey: 'cb-1',
      orderId: 'o-cb',
      amount: 5,
      currency: 'EUR',
    });
    for (let i = 0; i < 50 && received.length < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toEqual([
      { type: 'capture.captured', capture: made },
      { type: 'capture.captured', capture: made },
    ]);
  } finally {
    await noisy.app.close();
    await receiver.close();
  }
});
