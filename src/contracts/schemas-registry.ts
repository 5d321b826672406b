import type { ValidateFunction } from 'ajv';
import { TributaryError } from '../errors';
import {
  describeErrors,
  newValidator,
  parseSchemaFile,
  schemaFile,
  schemaHash,
  schemaText,
  type SchemaDocument,
  type SchemaRef,
} from './schemas';

/** A schema as the API serves it: its text and a strong ETag (its content hash). */
export interface ServedSchema {
  ref: SchemaRef;
  document: SchemaDocument;
  text: string;
  etag: string;
}

/** The schemas of a deployment, compiled: what the API serves and the relay validates against. */
export interface SchemaRegistry {
  /** Every schema, by its path (`order/OrderCreated/v2.json`). */
  readonly files: ReadonlyMap<string, ServedSchema>;
  /** The schema at a path, or undefined. */
  get(file: string): ServedSchema | undefined;
  /**
   * Validates the data of an event of `ref`: undefined when it is valid, otherwise why not, in one line
   * (also when no schema of that type and version exists).
   */
  validate(ref: SchemaRef, data: unknown): string | undefined;
}

/**
 * Compiles `documents` (path under schemas/ → parsed JSON). Throws `config.invalid` naming the file when a
 * path is not `<aggregate>/<EventType>/v<N>.json` or a document is not a valid JSON Schema 2020-12.
 */
export function createSchemaRegistry(documents: ReadonlyMap<string, SchemaDocument>): SchemaRegistry {
  const ajv = newValidator();
  const files = new Map<string, ServedSchema>();
  const validators = new Map<string, ValidateFunction>();
  for (const [file, document] of documents) {
    const ref = parseSchemaFile(file);
    if (ref === undefined) {
      throw new TributaryError(
        'config.invalid',
        `schemas/${file}: not a path <aggregate>/<EventType>/v<N>.json`,
      );
    }
    try {
      validators.set(file, ajv.compile(document));
    } catch (error) {
      throw new TributaryError(
        'config.invalid',
        `schemas/${file}: not a valid JSON Schema 2020-12: ${(error as Error).message}`,
        { cause: error },
      );
    }
    files.set(file, {
      ref,
      document,
      text: schemaText(document),
      etag: `"${schemaHash(document).slice(7, 39)}"`,
    });
  }
  return {
    files,
    get: (file) => files.get(file),
    validate(ref, data) {
      const file = schemaFile(ref);
      const validator = validators.get(file);
      if (validator === undefined) return `no schema ${file} for ${ref.eventType} v${ref.schemaVersion}`;
      if (validator(data)) return undefined;
      return `${ref.eventType} v${ref.schemaVersion} does not match schema ${file}: ${describeErrors(ajv, validator.errors)}`;
    },
  };
}
