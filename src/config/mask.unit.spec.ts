import { loadConfig } from './load';
import { MASK, maskUrlPasswords } from './mask';

describe('maskUrlPasswords', () => {
  it('masks the password of every URL in a text, keeping the user and the host', () => {
    expect(
      maskUrlPasswords(
        'a postgres://app:s3cr%21t@db:5432/x and postgresql://u:p@h/y, then https://x.org/a@b',
      ),
    ).toBe(`a postgres://app:${MASK}@db:5432/x and postgresql://u:${MASK}@h/y, then https://x.org/a@b`);
  });

  it('leaves URLs without a password as they are', () => {
    expect(maskUrlPasswords('postgres://postgres@127.0.0.1:5433/tributary')).toBe(
      'postgres://postgres@127.0.0.1:5433/tributary',
    );
  });
});

describe('a bad setting is echoed with its password masked', () => {
  it('names the setting and never shows the password', () => {
    const attempt = () => loadConfig({ DATABASE_URL: 'mysql://app:hunter2-secret@db/x' });
    expect(attempt).toThrow(
      /DATABASE_URL: expected a postgres or postgresql URL, got 'mysql:\/\/app:\*\*\*\*@db\/x'/,
    );
    expect(attempt).not.toThrow(/hunter2-secret/);
  });

  it('masks a password in a value that is not a URL at all', () => {
    const attempt = () => loadConfig({ API_DATABASE_URL: 'postgres://api:hunter2-secret@ bad host/x' });
    expect(attempt).toThrow(/API_DATABASE_URL/);
    expect(attempt).not.toThrow(/hunter2-secret/);
  });
});
