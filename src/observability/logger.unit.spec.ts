import { Writable } from 'node:stream';
import { createLogger } from './logger';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('the logger keeps secrets out of the logs', () => {
  const SECRET = 'hunter2-very-secret';

  it('redacts credentials in request headers', () => {
    const { stream, text } = capture();
    const logger = createLogger({ logLevel: 'info' }, 'test', stream);
    logger.info(
      {
        req: {
          method: 'GET',
          headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, cookie: SECRET },
        },
      },
      'request',
    );
    expect(text()).not.toContain(SECRET);
    expect(JSON.parse(text()).req.headers).toEqual({
      authorization: '****',
      'x-api-key': '****',
      cookie: '****',
    });
    expect(JSON.parse(text()).req.method).toBe('GET');
  });

  it('redacts fields named like secrets, at the top and one level down', () => {
    const { stream, text } = capture();
    const logger = createLogger({ logLevel: 'info' }, 'test', stream);
    logger.info({ password: SECRET, user: { token: SECRET, apiKey: SECRET, name: 'ada' } }, 'login');
    const line = JSON.parse(text());
    expect(text()).not.toContain(SECRET);
    expect(line.user.name).toBe('ada');
    expect(line.password).toBe('****');
  });

  it('masks the password of a URL in a message and in an error', () => {
    const { stream, text } = capture();
    const logger = createLogger({ logLevel: 'info' }, 'test', stream);
    logger.warn(`cannot connect to postgres://api:${SECRET}@db:5432/x`);
    logger.error({ err: new Error(`connect failed: postgresql://relay:${SECRET}@db/x`) }, 'relay stopped');
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('postgres://api:****@db:5432/x');
    expect(text()).toContain('postgresql://relay:****@db/x');
  });
});
