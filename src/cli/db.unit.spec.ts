import { loadConfig } from '../config';
import { roleNames } from '../db/roles';
import { rolePasswords } from './db';

describe('db roles: where each password comes from', () => {
  const roles = roleNames('tributary_');

  it("takes DB_ROLE_PASSWORD_* first, else the password of the component's URL when that URL logs in as the role", () => {
    const config = loadConfig({
      DB_ROLE_PASSWORD_RELAY: 'from-setting',
      RELAY_DATABASE_URL: 'postgres://tributary_relay:from-url@db/tributary',
      API_DATABASE_URL: 'postgres://tributary_api:p%40ss%2Fword@db/tributary',
      // A URL logging in as another role says nothing about this role's password.
      SEARCH_DATABASE_URL: 'postgres://someone_else:theirs@db/tributary',
    });
    expect(rolePasswords(config, roles)).toEqual({ relay: 'from-setting', api: 'p@ss/word' });
  });

  it('gives no password from DATABASE_URL, the shared fallback', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://tributary_owner:admins@db/tributary' });
    expect(rolePasswords(config, roles)).toEqual({});
  });
});
