import { TributaryError } from '../errors';
import { entryBytes, requireEntrySize } from './mapping';
import type { OutboxEntry } from './types';

const entry = (payload: unknown): OutboxEntry => ({
  id: '00000000-0000-4000-8000-000000000001',
  aggregateType: 'order',
  aggregateId: 'o-1',
  streamVersion: 3,
  eventType: 'OrderLineAdded',
  schemaVersion: 1,
  payload,
  headers: { occurredAt: '2026-01-01T00:00:00.000Z' },
});

describe('the size of an integration event', () => {
  it('counts the payload and headers as UTF-8 JSON', () => {
    const ascii = entryBytes(entry({ note: 'aaaa' }));
    expect(entryBytes(entry({ note: 'ääää' }))).toBe(ascii + 4); // two bytes each
  });

  it('passes an entry up to the limit and refuses a larger one as a domain rule, naming both sizes', () => {
    const fits = entry({ note: 'x'.repeat(100) });
    const limit = entryBytes(fits);
    expect(requireEntrySize(fits, limit)).toBe(fits);
    const tooLarge = entry({ note: 'x'.repeat(101) });
    try {
      requireEntrySize(tooLarge, limit);
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(TributaryError);
      expect((error as TributaryError).code).toBe('domain.rule');
      expect((error as TributaryError).message).toContain(`${limit + 1} bytes, more than the ${limit}`);
    }
  });
});
