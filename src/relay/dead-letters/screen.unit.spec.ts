import pino from 'pino';
import { relayMetrics } from '../metrics';
import { recordSizeBytes, type OpenRef } from './policy';
import { screen, type Item, type ScreenContext } from './screen';
import type { DeadLetterRow, DeadLetterStore } from './store';

/** An in-memory dead-letter table: `resolved` ids are no longer open when the batch locks them. */
function memoryStore(resolved: Set<string> = new Set()) {
  const rows: (DeadLetterRow & { id: string })[] = [];
  const allIds: string[] = [];
  const store: DeadLetterStore = {
    open: async () => new Map(),
    async record(blockers, write) {
      const written = write(new Set(blockers.filter((id) => !resolved.has(id))));
      const ids = written.map((row) => {
        const id = String(100 + rows.length);
        const blockedBy =
          row.blockedBy && 'index' in row.blockedBy ? { id: allIds[row.blockedBy.index]! } : row.blockedBy;
        rows.push({ ...row, blockedBy, id });
        allIds.push(id);
        return id;
      });
      return ids;
    },
  };
  return { store, rows };
}

const item = (aggregateId: string, valueBytes: number, n: number): Item => {
  const record = { key: aggregateId, value: 'x'.repeat(valueBytes), headers: { ce_id: `e${n}` } };
  return {
    lsn: `0/${n}`,
    commitLsn: `0/${n}`,
    eventId: `e${n}`,
    aggregateType: 'order',
    aggregateId,
    streamVersion: n,
    topic: 't.order',
    record,
    bytes: recordSizeBytes(record),
  };
};

const context = (store: DeadLetterStore, open = new Map<string, OpenRef>()): ScreenContext => ({
  store,
  limits: { load: async () => undefined, get: () => 2_000 },
  open,
  metrics: relayMetrics(),
  logger: pino({ level: 'silent' }),
});

describe('screen', () => {
  it("writes the dead letter and the aggregate's parked records before returning the rest to send", async () => {
    const { store, rows } = memoryStore();
    const ctx = context(store);
    const sent = await screen(
      [item('a', 10, 1), item('a', 5_000, 2), item('b', 10, 3), item('a', 10, 4)],
      ctx,
    );
    expect(sent.map((i) => i.eventId)).toEqual(['e1', 'e3']);
    expect(rows.map((r) => [r.eventId, r.blockedBy])).toEqual([
      ['e2', undefined],
      ['e4', { id: '100' }],
    ]);
    expect(ctx.open.get('order\u0000a')).toEqual({ id: '100', lsn: 2n });
  });

  it('sends nothing of a parked aggregate in later batches while its dead letter is open', async () => {
    const { store, rows } = memoryStore();
    const ctx = context(store, new Map([['order\u0000a', { id: '7', lsn: 1n }]]));
    const sent = await screen([item('a', 10, 5), item('b', 10, 6)], ctx);
    expect(sent.map((i) => i.eventId)).toEqual(['e6']);
    expect(rows[0]).toMatchObject({ eventId: 'e5', blockedBy: { id: '7' } });
  });

  it('publishes again once an operator resolved the dead letter (found not open when locked)', async () => {
    const { store, rows } = memoryStore(new Set(['7']));
    const ctx = context(store, new Map([['order\u0000a', { id: '7', lsn: 1n }]]));
    const sent = await screen([item('a', 10, 5), item('b', 10, 6)], ctx);
    expect(sent.map((i) => i.eventId)).toEqual(['e5', 'e6']);
    expect(rows).toEqual([]);
    expect(ctx.open.size).toBe(0);
  });
});
