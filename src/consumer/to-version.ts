import type { IntegrationPayload } from '../contracts';
import { convertPayload, publishedTypeOf } from '../contracts/versions';
import { TributaryError } from '../errors';
import type { TributaryCloudEvent } from './decode';

/**
 * The same event at the schema version a consumer was written against: its data upcast (from an older
 * version) or downcast (from a newer one, within the deprecation window), and `type` and `dataschema` naming
 * that version. The event is returned as is when it is at that version already. Throws `input.invalid` when no
 * path exists: an event type this library does not know, a version it does not know (a newer release of
 * tributary does), or a version past its deprecation window.
 */
export function toVersion<T = unknown>(event: TributaryCloudEvent, wanted: number): TributaryCloudEvent<T> {
  if (event.schemaVersion === wanted) return event as TributaryCloudEvent<T>;
  const known = publishedTypeOf(event.typeName);
  if (known === undefined) {
    throw new TributaryError(
      'input.invalid',
      `cannot bring ${event.type} to v${wanted}: not an event type this library knows`,
      { details: { type: event.type, wanted } },
    );
  }
  const data = event.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TributaryError('input.invalid', `event ${event.id} (${event.type}) has no JSON object as data`);
  }
  const converted = convertPayload(known, event.schemaVersion, wanted, data as IntegrationPayload);
  const dataschema = dataschemaAt(event.dataschema, event.schemaVersion, wanted);
  return {
    ...event,
    type: `${event.typeName}.v${wanted}`,
    schemaVersion: wanted,
    dataschema,
    data: converted as T,
  };
}

/**
 * The schema URI of the other version: the published URIs end in `v<N>.json`, one per version. An URI of
 * another form cannot be rewritten safely, so the converted event carries none.
 */
function dataschemaAt(uri: string | undefined, from: number, to: number): string | undefined {
  if (uri === undefined) return undefined;
  const suffix = `v${from}.json`;
  return uri.endsWith(`/${suffix}`) ? `${uri.slice(0, -suffix.length)}v${to}.json` : undefined;
}
