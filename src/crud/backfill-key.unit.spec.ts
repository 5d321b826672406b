import type { EntityMetadata } from 'typeorm';
import { requireExactKey } from './backfill';

type Key = Pick<EntityMetadata, 'name' | 'tablePath' | 'primaryColumns'>;
const entity = (...columns: { type: unknown; databaseName: string }[]) =>
  ({ name: 'Reading', tablePath: 'readings', primaryColumns: columns }) as unknown as Key;

describe('the key a backfill pages by', () => {
  it.each(['uuid', 'int', 'bigint', 'varchar', String, Number])('accepts a %p primary column', (type) => {
    expect(() => requireExactKey(entity({ type, databaseName: 'id' }))).not.toThrow();
  });

  it.each(['timestamptz', 'timestamp with time zone', 'timestamp', 'time', Date])(
    'refuses a %p primary column with one line naming it',
    (type) => {
      expect(() =>
        requireExactKey(entity({ type: 'int', databaseName: 'sensor' }, { type, databaseName: 'at' })),
      ).toThrow(
        expect.objectContaining({
          code: 'input.invalid',
          message: expect.stringMatching(
            /^Reading \(table readings\) has the time column at in its primary key/,
          ),
        }),
      );
    },
  );
});
