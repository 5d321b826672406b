import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { contractsFor } from '../cli/schemas';
import { loadConfig } from '../config';

const run = promisify(execFile);

/**
 * The AsyncAPI document parsed and validated by the official parser (@asyncapi/parser), run in a plain Node
 * process as an integrator's tooling would run it (outside Jest's module system). Any diagnostic of severity
 * error fails the test, in both content modes.
 */
async function diagnose(document: Record<string, unknown>) {
  const script = `
    const { Parser } = require('@asyncapi/parser');
    let input = '';
    process.stdin.on('data', (chunk) => (input += chunk));
    process.stdin.on('end', async () => {
      const { document, diagnostics } = await new Parser().parse(input);
      const channels = document ? document.channels().all().map((c) => c.address()) : [];
      const messages = document ? document.messages().all().length : 0;
      process.stdout.write(JSON.stringify({
        parsed: document !== undefined,
        errors: diagnostics.filter((d) => d.severity === 0).map((d) => d.code + ' ' + d.path.join('/') + ': ' + d.message),
        channels,
        messages,
      }));
    });
  `;
  const child = run(process.execPath, ['-e', script], { cwd: process.cwd(), maxBuffer: 10_000_000 });
  child.child.stdin!.end(JSON.stringify(document));
  const { stdout } = await child;
  return JSON.parse(stdout) as { parsed: boolean; errors: string[]; channels: string[]; messages: number };
}

describe('the AsyncAPI document', () => {
  it.each(['binary', 'structured'])(
    'parses without errors in %s mode, with every topic and dead-letter topic',
    async (mode) => {
      const config = loadConfig({ CLOUDEVENT_MODE: mode, TOPIC_PREFIX: 'shop.' });
      const result = await diagnose(contractsFor(config).asyncapi);
      expect(result.errors).toEqual([]);
      expect(result.parsed).toBe(true);
      expect(result.channels.sort()).toEqual([
        'shop.inventory',
        'shop.order',
        'shop.order.dlq',
        'shop.payment',
      ]);
      expect(result.messages).toBeGreaterThanOrEqual(13);
    },
    60_000,
  );

  it('reports a broken document as errors (the check is real)', async () => {
    const config = loadConfig({});
    const broken = { ...contractsFor(config).asyncapi, channels: { order: { address: 42 } } };
    expect((await diagnose(broken)).errors.length).toBeGreaterThan(0);
  }, 60_000);
});
