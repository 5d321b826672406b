import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');

interface Linted {
  ruleId: string | null;
  message: string;
}

/**
 * Lints snippets as if they were files at the given paths, with the project's own eslint.config.mjs, through
 * ESLint's Node API. In a plain Node process: ESLint loads its (ESM) config with a dynamic import, which
 * Jest's CommonJS runtime cannot do. The files need not exist.
 */
async function lint(files: Record<string, string>): Promise<Record<string, Linted[]>> {
  const script = `
    const { ESLint } = require('eslint');
    const files = JSON.parse(process.argv[1]);
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = {};
      for (const [filePath, code] of Object.entries(files)) {
        const [result] = await eslint.lintText(code, { filePath });
        out[filePath] = result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message }));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  const { stdout } = await run(process.execPath, ['-e', script, JSON.stringify(files)], { cwd: ROOT });
  return JSON.parse(stdout) as Record<string, Linted[]>;
}

/** A snippet that imports `name` from `source` and uses it, so only the import itself can be at fault. */
const importing = (source: string, name = 'thing') =>
  `import { ${name} } from '${source}';\nexport const used = ${name};\n`;

describe('module boundaries', () => {
  let results: Record<string, Linted[]>;
  beforeAll(async () => {
    results = await lint({
      'src/outbox/wrong-way.ts': importing('../eventstore'),
      'src/outbox/right-way.ts': importing('../domain/envelope'),
      'src/relay/wrong-way.ts': importing('../projections/runtime'),
      'src/relay/right-way.ts': importing('../contracts'),
      'src/projections/search/wrong-way.ts': importing('../../eventstore'),
      'src/projections/rebuild/right-way.ts': importing('../../eventstore'),
      'src/projections/runtime/wrong-way.ts': importing('../../relay/cloudevent'),
      'src/contracts/impure.ts': importing('kafkajs', 'Kafka'),
      'src/api/test-support.ts': importing('../../test/api'),
      'src/api/routes/jest.ts': 'export const check = () => expect(1).toBe(1);\n',
      'src/api/routes/some.unit.spec.ts': importing('../../../test/api'),
    });
  }, 60_000); // one ESLint process for all snippets: a few seconds, more on a busy machine

  const rules = (file: string) => results[file]!.map((m) => m.ruleId);
  const messages = (file: string) => results[file]!.map((m) => m.message).join('\n');

  it('rejects a wrong-way import: the outbox may not import the event store, which writes it', () => {
    expect(rules('src/outbox/wrong-way.ts')).toEqual(['no-restricted-imports']);
    expect(messages('src/outbox/wrong-way.ts')).toMatch(/src\/outbox may not import src\/eventstore/);
  });

  it('lets an allowed import through: the outbox takes the event envelope from the domain', () => {
    expect(results['src/outbox/right-way.ts']).toEqual([]);
  });

  it('keeps the relay off the projections and lets it use the contract', () => {
    expect(messages('src/relay/wrong-way.ts')).toMatch(/src\/relay may not import src\/projections/);
    expect(results['src/relay/right-way.ts']).toEqual([]);
  });

  it('lets only the rebuild among the projections read the event store', () => {
    expect(messages('src/projections/search/wrong-way.ts')).toMatch(
      /src\/projections may not import src\/eventstore/,
    );
    expect(results['src/projections/rebuild/right-way.ts']).toEqual([]);
  });

  it('has consumers take the wire contract from src/contracts, not from the relay', () => {
    expect(messages('src/projections/runtime/wrong-way.ts')).toMatch(
      /src\/projections may not import src\/relay/,
    );
  });

  it('keeps the contract free of I/O libraries', () => {
    expect(messages('src/contracts/impure.ts')).toMatch(/src\/contracts is pure/);
  });

  it('keeps test support and Jest out of production code, and lets specs use both', () => {
    expect(messages('src/api/test-support.ts')).toMatch(/must not import test support/);
    expect(rules('src/api/routes/jest.ts')).toEqual(['no-restricted-globals']);
    expect(results['src/api/routes/some.unit.spec.ts']).toEqual([]);
  });
});
