import type { EntityManager, EntityMetadata, ObjectLiteral } from 'typeorm';

/**
 * Keyset pagination over an entity's table by its primary key: the rows after `after` (primary column values
 * in primary column order), in key order, at most `limit`. Soft-deleted rows are read too: every row of the
 * table gets a stream. Each page is one index range scan, however far into the table it is (an OFFSET would
 * read and drop every row before it).
 */
export async function readRowsAfter(
  manager: Pick<EntityManager, 'createQueryBuilder'>,
  metadata: EntityMetadata,
  after: readonly unknown[] | null,
  limit: number,
): Promise<ObjectLiteral[]> {
  const query = manager.createQueryBuilder(metadata.target, 'row').withDeleted();
  const keys = metadata.primaryColumns;
  if (after !== null) {
    const columns = keys.map((key) => `${query.escape('row')}.${query.escape(key.databaseName)}`);
    const values = keys.map((_, i) => `:key${i}`);
    query.where(
      `(${columns.join(', ')}) > (${values.join(', ')})`,
      Object.fromEntries(after.map((value, i) => [`key${i}`, value])),
    );
  }
  for (const key of keys) query.addOrderBy(`row.${key.propertyPath}`, 'ASC');
  return query.limit(limit).getMany();
}

/** The primary column values of a row, in primary column order: the checkpoint's key. */
export function keyOf(metadata: EntityMetadata, row: ObjectLiteral): unknown[] {
  return metadata.primaryColumns.map((key) => key.getEntityValue(row) as unknown);
}

/** The rows of the table, soft-deleted ones included: the progress bar's total. */
export function countRows(
  manager: Pick<EntityManager, 'createQueryBuilder'>,
  metadata: EntityMetadata,
): Promise<number> {
  return manager.createQueryBuilder(metadata.target, 'row').withDeleted().getCount();
}
