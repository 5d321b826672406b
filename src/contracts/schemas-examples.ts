import { seededRandom } from '../util';
import { TributaryError } from '../errors';

/**
 * Example values of a JSON Schema, for proving that every older version of an event can be upcast to the
 * newest: a small generator over the keywords our schemas use (type, properties, required, items, enum,
 * const, format date-time, minimum/maximum, minItems/maxItems, minLength), deterministic for a seed. A
 * keyword it does not know fails loudly, so a schema never passes the check by being skipped.
 */

type Schema = Record<string, unknown>;

const KNOWN = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'format',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'minLength',
  'deprecated',
  'examples',
]);

/** `count` examples of `schema`, generated from `seed`. */
export function examplesOf(schema: Schema, count: number, seed = 1): unknown[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, () => example(schema, next, '#'));
}

function example(schema: Schema, next: () => number, at: string): unknown {
  const unknown = Object.keys(schema).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) {
    throw new TributaryError(
      'input.invalid',
      `${at}: the example generator does not know ${unknown.join(', ')}`,
    );
  }
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return pick(schema.enum);
  const type = Array.isArray(schema.type) ? pick(schema.type as string[]) : schema.type;
  switch (type) {
    case 'object':
      return objectExample(schema, next, at);
    case 'array': {
      const min = (schema.minItems as number | undefined) ?? 0;
      const max = Math.max(min, Math.min((schema.maxItems as number | undefined) ?? min + 3, min + 3));
      const length = min + Math.floor(next() * (max - min + 1));
      return Array.from({ length }, (_, i) => example(schema.items as Schema, next, `${at}/items/${i}`));
    }
    case 'string':
      return stringExample(schema, next);
    case 'integer':
    case 'number': {
      const min = (schema.minimum as number | undefined) ?? 0;
      const max = (schema.maximum as number | undefined) ?? min + 100_000;
      const value = min + next() * (max - min);
      return type === 'integer' ? Math.floor(value) : value;
    }
    case 'boolean':
      return next() < 0.5;
    case 'null':
      return null;
    default:
      throw new TributaryError(
        'input.invalid',
        `${at}: the example generator does not know type ${String(type)}`,
      );
  }
}

function objectExample(schema: Schema, next: () => number, at: string): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const result: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    // Optional properties are present half of the time, so both shapes are upcast.
    if (required.has(name) || next() < 0.5) result[name] = example(property, next, `${at}/${name}`);
  }
  return result;
}

function stringExample(schema: Schema, next: () => number): string {
  if (schema.format === 'date-time') {
    return new Date(Date.UTC(2020, 0, 1) + Math.floor(next() * 5 * 365 * 86_400_000)).toISOString();
  }
  if (schema.format !== undefined) {
    throw new TributaryError(
      'input.invalid',
      `the example generator does not know format ${String(schema.format)}`,
    );
  }
  const length = Math.max((schema.minLength as number | undefined) ?? 1, 1 + Math.floor(next() * 12));
  return Array.from({ length }, () => String.fromCharCode(97 + Math.floor(next() * 26))).join('');
}
