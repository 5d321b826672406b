import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Checked in a plain Node process: the UI's static-file server depends on an ESM-only package (see docs.ts)
// that Jest's CommonJS runtime cannot load. Everything else about the docs is in the API contract.
describe('Swagger UI', () => {
  it('is served as HTML at /docs, to anyone: the docs need no credential', async () => {
    const script = `
      const { buildApp } = require('./src/api');
      const { FakeOrderService } = require('./test/api/fake-order-service');
      const { TestIssuer } = require('./test/fixtures/auth');
      const app = buildApp({ service: new FakeOrderService(), authenticator: new TestIssuer().authenticator() });
      app.inject({ url: '/docs' })
        .then((r) => { process.stdout.write(JSON.stringify({ status: r.statusCode, type: r.headers['content-type'] })); })
        .finally(() => app.close());
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script], { cwd: process.cwd() });
    expect(JSON.parse(stdout)).toEqual({ status: 200, type: expect.stringMatching(/^text\/html/) });
  }, 30_000);
});
