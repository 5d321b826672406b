import { DEFAULT_CHUNK_SIZE } from '../crud';
import { DEFAULT_CONFIG_PATH, parseBackfillArgs } from './backfill';

test('an entity alone takes the default config path and chunk size', () => {
  expect(parseBackfillArgs(['Customer'])).toEqual({
    entity: 'Customer',
    configPath: DEFAULT_CONFIG_PATH,
    chunkSize: DEFAULT_CHUNK_SIZE,
  });
});

test('options go before or after the entity, as --flag value or --flag=value', () => {
  expect(
    parseBackfillArgs(['--chunk-size', '250', 'Customer', '--config=./app/tributary.config.js']),
  ).toEqual({
    entity: 'Customer',
    configPath: './app/tributary.config.js',
    chunkSize: 250,
  });
});

test.each([
  [[], 'crud backfill needs an entity, e.g. tributary crud backfill Customer'],
  [['Customer', 'Order'], "crud backfill takes one entity, got 'Customer' and 'Order'"],
  [['Customer', '--config'], '--config needs a value'],
  [['Customer', '--config='], '--config needs a value'],
  [['Customer', '--chunk-size', '0'], "--chunk-size takes a whole number from 1 to 50000, got '0'"],
  [['Customer', '--chunk-size', '1e3'], "--chunk-size takes a whole number from 1 to 50000, got '1e3'"],
  [['Customer', '--chunk-size', '50001'], "--chunk-size takes a whole number from 1 to 50000, got '50001'"],
  [['Customer', '--fast'], "unknown crud backfill option '--fast'"],
  [['Customer', '-n'], "unknown crud backfill option '-n'"],
])('%j is refused with input.invalid: %s', (args, message) => {
  expect(() => parseBackfillArgs(args)).toThrow(expect.objectContaining({ code: 'input.invalid', message }));
});
