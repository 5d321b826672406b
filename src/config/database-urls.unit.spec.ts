import { loadConfig } from './load';
import { databaseOf, databaseSettingName } from './database-urls';

describe('a connection setting per component', () => {
  // No password file: DATABASE_URL stays as given.
  const base = { DATABASE_URL: 'postgres://admin@db:5432/tributary', DATABASE_PASSWORD_FILE: '' };

  it("uses the component's own setting when set", () => {
    const config = loadConfig({ ...base, API_DATABASE_URL: 'postgres://tributary_api:pw@db:5432/tributary' });
    expect(databaseOf(config, 'api')).toEqual({
      url: 'postgres://tributary_api:pw@db:5432/tributary',
      ownSetting: true,
    });
  });

  it('falls back to DATABASE_URL when the setting is empty, and says so', () => {
    const config = loadConfig(base);
    for (const component of ['migrate', 'relay', 'search', 'reporting', 'readonly', 'saga'] as const) {
      expect(databaseOf(config, component)).toEqual({ url: base.DATABASE_URL, ownSetting: false });
    }
    expect(databaseSettingName('migrate')).toBe('MIGRATE_DATABASE_URL');
    expect(databaseSettingName('readonly')).toBe('READONLY_DATABASE_URL');
  });

  it('rejects a connection setting that is not a PostgreSQL URL, naming it', () => {
    expect(() => loadConfig({ ...base, RELAY_DATABASE_URL: 'mysql://x@y/z' })).toThrow(
      /RELAY_DATABASE_URL: expected a postgres or postgresql URL/,
    );
  });
});
