import { getMetadataArgsStorage } from 'typeorm';
import { Customer } from './customer.entity';

test('every column of the example entity names its type (tsx emits no decorator metadata to infer one)', () => {
  const columns = getMetadataArgsStorage().columns.filter((column) => column.target === Customer);
  expect(columns.map((column) => column.propertyName).sort()).toEqual([
    'email',
    'id',
    'name',
    'tier',
    'updatedAt',
  ]);
  const untyped = columns.filter((column) => typeof column.options.type !== 'string');
  expect(untyped.map((column) => column.propertyName)).toEqual([]);
});
