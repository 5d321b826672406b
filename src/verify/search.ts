import type { Client } from '@elastic/elasticsearch';
import { isDeepStrictEqual } from 'node:util';
import type { Executor } from '../db/executor';
import { ordersAlias, toSearchDocument } from '../projections/search';
import { orderPages, ordersInStore } from './orders';
import { emptyCheck, ProblemList, type CheckResult, type Problem, type VerifyWindow } from './types';

const CHECK = 'search documents';

/**
 * Every order's search document equals the fold of its events, and the index holds no order the store does
 * not have. Pages of the store's orders are compared with `mget`; the index is scanned for strangers only
 * when it holds more documents than matched.
 */
export async function checkSearch(
  executor: Executor,
  es: Client,
  prefix: string,
  window: VerifyWindow,
): Promise<{ result: CheckResult; problems: Problem[] }> {
  const index = ordersAlias(prefix);
  const result = { ...emptyCheck(CHECK) };
  const list = new ProblemList();
  await es.indices.refresh({ index });
  for await (const views of orderPages(executor, window)) {
    if (views.length === 0) continue;
    const found = await es.mget<Record<string, unknown>>({ index, ids: views.map((view) => view.id) });
    const byId = new Map(
      found.docs
        .filter((doc) => 'found' in doc && doc.found)
        .map((doc) => [doc._id, (doc as { _source?: unknown })._source]),
    );
    for (const view of views) {
      result.checked += 1;
      const doc = byId.get(view.id);
      if (doc === undefined) {
        result.missing += 1;
        list.note(CHECK, 'missing', view.id, `no document for order ${view.id} (version ${view.version})`);
      } else if (!isDeepStrictEqual(doc, toSearchDocument(view))) {
        result.mismatched += 1;
        const version = (doc as { version?: unknown }).version;
        list.note(
          CHECK,
          'mismatched',
          view.id,
          `document at version ${String(version)} differs from the fold at version ${view.version}`,
        );
      }
    }
  }
  // Strangers can only be told when the whole store was compared, and exist only if the index holds more.
  if (window.since === undefined && (await es.count({ index })).count > result.checked - result.missing) {
    result.unexpected = await findStrangers(executor, es, index, list);
  }
  return { result, problems: list.problems };
}

/** Pages through the index for documents of orders the store does not have; returns how many. */
async function findStrangers(
  executor: Executor,
  es: Client,
  index: string,
  list: ProblemList,
): Promise<number> {
  let strangers = 0;
  let after: unknown[] | undefined;
  for (;;) {
    const page = await es.search({
      index,
      size: 1000,
      _source: false,
      sort: [{ id: 'asc' }],
      ...(after ? { search_after: after as never } : {}),
    });
    const hits = page.hits.hits;
    if (hits.length === 0) return strangers;
    after = hits[hits.length - 1]!.sort;
    const ids = hits.map((hit) => hit._id!);
    const known = await ordersInStore(executor, ids);
    for (const id of ids) {
      if (known.has(id)) continue;
      strangers += 1;
      list.note(CHECK, 'unexpected', id, `document ${id} names no order in the store`);
    }
  }
}
