import { randomBytes } from 'node:crypto';
import { errors, type Client } from '@elastic/elasticsearch';
import { TributaryError } from '../../errors';
import { toSearchError } from './failures';
import { ordersIndexSettings, ORDERS_MAPPING, type OrdersIndexOptions } from './mapping';

/**
 * The `orders` indices and their alias. Readers and the projector only ever use the alias; the concrete
 * indices behind it are versioned, so a rebuild can fill a new index while the old one keeps answering and
 * then move the alias in one atomic step.
 */

/** The alias every reader and the projector use: `<prefix>orders`. */
export function ordersAlias(prefix: string): string {
  return `${prefix}orders`;
}

/**
 * The first concrete index. Its name is fixed, so processes racing to create it agree on one index
 * instead of each putting the alias on an index of its own.
 */
export function initialOrdersIndex(prefix: string): string {
  return `${prefix}orders-initial`;
}

// UTC yyyymmddhhmmssSSS plus random hex: names sort by creation time and two in the same millisecond differ.
function stamp(now: Date): string {
  return now.toISOString().replace(/[-:.TZ]/g, '');
}

/** A fresh concrete index name, `<prefix>orders-<utc timestamp>-<random>`. */
export function newOrdersIndexName(prefix: string, now = new Date()): string {
  return `${prefix}orders-${stamp(now)}-${randomBytes(3).toString('hex')}`;
}

function errorType(error: unknown): string | undefined {
  if (!(error instanceof errors.ResponseError)) return undefined;
  const type = (error.body as { error?: { type?: unknown } } | undefined)?.error?.type;
  return typeof type === 'string' ? type : undefined;
}

/** The concrete indices the alias points to now (empty when the alias does not exist). */
export async function currentOrdersIndices(es: Client, prefix: string): Promise<string[]> {
  try {
    return Object.keys(await es.indices.getAlias({ name: ordersAlias(prefix) })).sort();
  } catch (error) {
    if (error instanceof errors.ResponseError && error.statusCode === 404) return [];
    throw toSearchError(error, 'reading the orders alias');
  }
}

/**
 * Makes sure the alias exists, creating the first index with the alias when it does not. Idempotent, and
 * safe when several processes start at once: creating an index together with its alias is one atomic step,
 * and the loser of the race gets `resource_already_exists_exception`, which means the work is done.
 * When `options` names a refresh interval, the indices behind an existing alias are set to it (a dynamic
 * setting), so a changed configuration takes effect when a process starts.
 * @returns the concrete indices behind the alias.
 */
export async function ensureOrdersIndex(
  es: Client,
  prefix: string,
  options: OrdersIndexOptions = {},
): Promise<string[]> {
  const existing = await currentOrdersIndices(es, prefix);
  if (existing.length > 0) {
    if (options.refreshIntervalMs !== undefined) await applyRefreshInterval(es, existing, options);
    return existing;
  }
  const index = initialOrdersIndex(prefix);
  try {
    await es.indices.create({
      index,
      settings: ordersIndexSettings(options),
      mappings: ORDERS_MAPPING,
      aliases: { [ordersAlias(prefix)]: {} },
    });
  } catch (error) {
    if (errorType(error) !== 'resource_already_exists_exception') {
      throw toSearchError(error, `creating index ${index}`);
    }
  }
  const now = await currentOrdersIndices(es, prefix);
  if (now.length === 0) {
    // The initial index exists without the alias: someone removed the alias on purpose. Putting it back
    // could serve an outdated index, so a person decides.
    throw new TributaryError(
      'internal',
      `Index ${index} exists but alias ${ordersAlias(prefix)} does not; restore the alias or drop the index.`,
      { details: { index, alias: ordersAlias(prefix) } },
    );
  }
  return now;
}

async function applyRefreshInterval(es: Client, indices: string[], options: OrdersIndexOptions) {
  const { refresh_interval } = ordersIndexSettings(options);
  try {
    await es.indices.putSettings({ index: indices, settings: { refresh_interval } });
  } catch (error) {
    throw toSearchError(error, `setting the refresh interval of ${indices.join(', ')}`);
  }
}

/** Creates a new, empty concrete index with the current settings and mapping, not behind the alias. */
export async function createOrdersIndex(
  es: Client,
  prefix: string,
  options: OrdersIndexOptions = {},
): Promise<string> {
  const index = newOrdersIndexName(prefix);
  try {
    await es.indices.create({ index, settings: ordersIndexSettings(options), mappings: ORDERS_MAPPING });
  } catch (error) {
    throw toSearchError(error, `creating index ${index}`);
  }
  return index;
}

/**
 * Points the alias at `newIndex` only, in one `updateAliases` call, so every search sees either the old
 * indices or the new one, never neither or both. The removals must find the alias where it was read: if
 * another process moved it in between, the whole call fails and nothing changes.
 * @returns the indices the alias pointed to before (without `newIndex`), e.g. to drop them later.
 */
export async function swapOrdersAlias(es: Client, prefix: string, newIndex: string): Promise<string[]> {
  const alias = ordersAlias(prefix);
  const old = (await currentOrdersIndices(es, prefix)).filter((index) => index !== newIndex);
  try {
    await es.indices.updateAliases({
      actions: [
        ...old.map((index) => ({ remove: { index, alias, must_exist: true } })),
        { add: { index: newIndex, alias } },
      ],
    });
  } catch (error) {
    throw toSearchError(error, `moving alias ${alias} to ${newIndex}`);
  }
  return old;
}

/**
 * Deletes concrete indices (missing ones are ignored), e.g. those `swapOrdersAlias` returned. Refuses to
 * delete an index the alias points to, so a mistaken call cannot take the read model away.
 */
export async function dropIndices(es: Client, prefix: string, indices: readonly string[]): Promise<void> {
  if (indices.length === 0) return;
  const live = new Set(await currentOrdersIndices(es, prefix));
  const refused = indices.filter((index) => live.has(index));
  if (refused.length > 0) {
    throw new TributaryError(
      'internal',
      `Refusing to delete ${refused.join(', ')}: alias ${ordersAlias(prefix)} points to it.`,
      { details: { refused } },
    );
  }
  try {
    await es.indices.delete({ index: [...indices], ignore_unavailable: true });
  } catch (error) {
    throw toSearchError(error, `deleting ${indices.join(', ')}`);
  }
}
