import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSchemasDir, loadLock, loadSchemaDocuments, schemasCommand } from '../cli/schemas';
import { orderCreatedV1ToV2 } from '../domain/orders/upcasters';
import type { IntegrationPayload, PayloadUpcasters } from './order-topic';
import { EVENT_CONTRACTS, PAYLOAD_UPCASTERS, schemaRefsOf, type SchemaDocument } from './schemas';
import { checkSchemas } from './schemas-check';

/**
 * `tributary schemas check` on a copy of schemas/: each test edits the copy as a developer might, and the
 * check must name the problem (or pass on a correct new version with its upcaster).
 */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-schemas-'));
  cpSync(defaultSchemasDir(), dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const V2 = 'order/OrderCreated/v2.json';
const V3 = 'order/OrderCreated/v3.json';
const read = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as SchemaDocument;
const write = (file: string, document: unknown) => writeFileSync(join(dir, file), JSON.stringify(document));
type Obj = { properties: Record<string, Obj>; required: string[]; type?: string; items?: Obj };
const changeOf = (document: SchemaDocument) => (document as unknown as Obj).properties.change!;

/** The CLI's lines and exit code for `schemas check --dir <copy>`. */
async function cliCheck(): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await schemasCommand(['check', '--dir', dir], (line) => lines.push(line));
  return { code, lines };
}

/** OrderCreated at version 3 in the code, with `upcaster` from 2 (none when undefined). */
function checkWithV3(upcaster?: (payload: IntegrationPayload) => IntegrationPayload): string[] {
  const contracts = EVENT_CONTRACTS.map((c) =>
    c.eventType === 'OrderCreated' ? { ...c, currentVersion: 3 } : c,
  );
  const upcasters: PayloadUpcasters = {
    ...PAYLOAD_UPCASTERS,
    OrderCreated: upcaster
      ? { ...PAYLOAD_UPCASTERS.OrderCreated, 2: upcaster }
      : { ...PAYLOAD_UPCASTERS.OrderCreated },
  };
  return checkSchemas({ documents: loadSchemaDocuments(dir), lock: loadLock(dir), contracts, upcasters });
}

/** v3 = v2 edited by `edit`. */
function writeV3(edit: (change: Obj) => void): void {
  const v3 = read(V2);
  v3.title = 'order OrderCreated v3';
  edit(changeOf(v3));
  write(V3, v3);
}

describe('tributary schemas check', () => {
  it('passes on the committed schemas', async () => {
    expect(await cliCheck()).toEqual({
      code: 0,
      lines: [`schemas check: ${schemaRefsOf().length} schemas compatible`],
    });
  });

  it('fails when a published version changed at all, even only its description', async () => {
    write(V2, { ...read(V2), description: 'reworded' });
    const { code, lines } = await cliCheck();
    expect(code).toBe(4);
    expect(lines[0]).toMatch(
      /^schemas\/order\/OrderCreated\/v2\.json: published version changed \(its hash is no longer sha256:[0-9a-f]{64}\); add v3 with an upcaster instead$/,
    );
  });

  it('fails when a published version loses a required field', async () => {
    const v2 = read(V2);
    changeOf(v2).required = changeOf(v2).required.filter((name) => name !== 'currency');
    write(V2, v2);
    expect((await cliCheck()).lines[0]).toMatch(
      /^schemas\/order\/OrderCreated\/v2\.json: published version changed/,
    );
  });

  it('fails when a published version is deleted', async () => {
    unlinkSync(join(dir, V2));
    const { lines } = await cliCheck();
    expect(lines).toContain(
      'schemas/order/OrderCreated/v2.json: published, but missing (a published version is served forever)',
    );
    expect(lines).toContain(
      'schemas/order/OrderCreated/v2.json: missing (every version up to the current one needs a schema)',
    );
  });

  it('fails on a schema file of a version the code does not write', async () => {
    writeV3(() => undefined);
    const { code, lines } = await cliCheck();
    expect(code).toBe(4);
    expect(lines).toEqual([
      'schemas/order/OrderCreated/v3.json: no such event type and version in the code (registry of schema versions)',
    ]);
  });

  it('fails when a new version removes a field that older versions carry (its upcaster keeps it)', () => {
    writeV3((change) => {
      delete change.properties.currency;
      change.required = change.required.filter((name) => name !== 'currency');
    });
    expect(checkWithV3((payload) => payload)).toEqual([
      expect.stringMatching(
        /^OrderCreated v1 → v3: an upcast example does not match the v3 schema: .*\/change must NOT have additional properties/,
      ),
      expect.stringMatching(/^OrderCreated v2 → v3: an upcast example does not match the v3 schema/),
    ]);
  });

  it('fails when a new version changes the type of a field', () => {
    writeV3((change) => {
      change.properties.lines!.items!.properties.quantity = { type: 'string' } as Obj;
    });
    const problems = checkWithV3((payload) => payload);
    expect(problems).toHaveLength(2);
    expect(problems[1]).toMatch(/^OrderCreated v2 → v3: .*\/change\/lines\/\d+\/quantity must be string/);
  });

  it('fails when a new version adds a required field its upcaster does not fill, or has no upcaster', () => {
    writeV3((change) => {
      change.properties.giftWrap = { type: 'boolean' } as Obj;
      change.required.push('giftWrap');
    });
    expect(checkWithV3((payload) => payload)[1]).toMatch(/\/change must have required property 'giftWrap'/);
    expect(checkWithV3()).toEqual([
      'OrderCreated v1 → v3: no upcaster from version 2 to 3',
      'OrderCreated v2 → v3: no upcaster from version 2 to 3',
    ]);
  });

  it('passes on a correct new version with its upcaster, from every older version', () => {
    writeV3((change) => {
      change.properties.giftWrap = { type: 'boolean' } as Obj;
      change.required.push('giftWrap');
    });
    const addGiftWrap = ({ change, state }: IntegrationPayload) => ({
      change: { ...(change as object), giftWrap: false },
      state,
    });
    expect(checkWithV3(addGiftWrap)).toEqual([]);
    // The v1 → v2 step is the domain's own upcaster: the chain is the real one.
    expect(orderCreatedV1ToV2({ orderId: 'o' })).toEqual({ orderId: 'o', salesChannel: 'web' });
  });

  it('publish records every schema in the lock file; an unpublished new version can still change', async () => {
    writeFileSync(join(dir, 'published.lock.json'), '{"schemas":{}}');
    write(V2, { ...read(V2), description: 'reworded before the release' });
    expect(await cliCheck()).toMatchObject({ code: 0 });
    expect(await schemasCommand(['publish', '--dir', dir], () => undefined)).toBe(0);
    expect(Object.keys(loadLock(dir).schemas)).toHaveLength(schemaRefsOf().length);
    write(V2, { ...read(V2), description: 'reworded after the release' });
    expect((await cliCheck()).code).toBe(4);
  });
});
