import { loadSchemaRegistry } from '../cli/schemas';
import { TributaryError } from '../errors';
import { kafkaEncoder } from './cloudevent';
import type { RelayEntry } from './transaction-buffer';
import { validatingEncoder } from './validate';

const registry = loadSchemaRegistry();
const encode = validatingEncoder(
  kafkaEncoder({ source: '/tributary', typePrefix: 'io.tributary' }),
  registry.validate,
);

const payment = (payload: unknown, eventType = 'PaymentRecorded'): RelayEntry => ({
  id: '0b7c5a0e-3f2a-4c55-9a57-8f0e7e0c1a01',
  aggregateType: 'payment',
  aggregateId: 'p-1',
  streamVersion: 1,
  eventType,
  schemaVersion: 1,
  headers: { occurredAt: '2026-01-01T00:00:00.000Z' },
  payloadJson: JSON.stringify(payload),
});

const valid = {
  change: {
    paymentId: 'p-1',
    orderId: 'o-1',
    amount: 500,
    currency: 'EUR',
    method: 'card',
    recordedAt: '2026-01-01T00:00:00.000Z',
  },
  state: {
    id: 'p-1',
    orderId: 'o-1',
    amount: 500,
    refundedAmount: 0,
    currency: 'EUR',
    method: 'card',
    status: 'captured',
    version: 1,
  },
};

function refusal(entry: RelayEntry): TributaryError {
  try {
    encode(entry);
  } catch (error) {
    return error as TributaryError;
  }
  throw new Error('the entry was encoded');
}

describe('validation before publishing', () => {
  it('encodes an event whose data matches the schema of its type and version', () => {
    expect(encode(payment(valid)).headers.ce_type).toBe('io.tributary.payment.recorded.v1');
  });

  it('refuses, as input.invalid (a dead letter), an event whose data does not match, saying where', () => {
    const error = refusal(payment({ ...valid, change: { ...valid.change, amount: '500' } }));
    expect(error).toBeInstanceOf(TributaryError);
    expect(error.code).toBe('input.invalid');
    expect(error.message).toBe(
      'event 0b7c5a0e-3f2a-4c55-9a57-8f0e7e0c1a01 failed schema validation: PaymentRecorded v1 does not match schema payment/PaymentRecorded/v1.json: /change/amount must be integer',
    );
  });

  it('refuses an event of a type or version that has no schema', () => {
    expect(refusal(payment(valid, 'PaymentExploded')).message).toMatch(
      /failed schema validation: no schema payment\/PaymentExploded\/v1\.json/,
    );
  });
});
