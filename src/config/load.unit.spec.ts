import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TributaryError } from '../errors';
import { describeSettings, loadConfig } from './load';

describe('loadConfig', () => {
  it('defaults match the local stack, with defaults that refer to other settings resolved', () => {
    const config = loadConfig({ STACK_DIR: '/nonexistent/stack' }); // no password file there
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5433/tributary');
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(config.elasticsearchUrl).toBe('https://127.0.0.1:9200');
    expect(config.stackPgPort).toBe(5433);
  });

  it('moving a stack port moves the default connection that points at it', () => {
    const config = loadConfig({
      STACK_PG_PORT: '6000',
      STACK_KAFKA_PORT: '9999',
      DATABASE_PASSWORD_FILE: '',
    });
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:6000/tributary');
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9999']);
  });

  it("DATABASE_URL without a password takes DATABASE_PASSWORD_FILE's, when the file exists; one with a password keeps it", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pg-pw-')), 'password');
    writeFileSync(file, 's3cr/t\n');
    const withFile = loadConfig({ DATABASE_PASSWORD_FILE: file });
    expect(new URL(withFile.databaseUrl).password).toBe(encodeURIComponent('s3cr/t'));
    const explicit = loadConfig({ DATABASE_PASSWORD_FILE: file, DATABASE_URL: 'postgres://app:own@db/x' });
    expect(explicit.databaseUrl).toBe('postgres://app:own@db/x');
    expect(loadConfig({ DATABASE_PASSWORD_FILE: `${file}.missing` }).databaseUrl).not.toContain(':s3cr');
  });

  it("ELASTICSEARCH_PASSWORD_FILE follows ELASTICSEARCH_USERNAME to that stack user's password", () => {
    const stack = { STACK_DIR: '/nonexistent/stack' };
    expect(loadConfig(stack).elasticsearchPasswordFile).toBe(
      '/nonexistent/stack/secrets/elasticsearch-tributary.password',
    );
    expect(loadConfig({ ...stack, ELASTICSEARCH_USERNAME: 'tributary-api' }).elasticsearchPasswordFile).toBe(
      '/nonexistent/stack/secrets/elasticsearch-tributary-api.password',
    );
    const own = { ...stack, ELASTICSEARCH_USERNAME: 'u', ELASTICSEARCH_PASSWORD_FILE: '/run/secrets/es' };
    expect(loadConfig(own).elasticsearchPasswordFile).toBe('/run/secrets/es');
  });

  it('an explicit value wins over the default', () => {
    expect(loadConfig({ KAFKA_BROKERS: 'a:1, b:2' }).kafkaBrokers).toEqual(['a:1', 'b:2']);
  });

  it('a bad value stops start-up with a message naming the setting', () => {
    expect(() => loadConfig({ STACK_KAFKA_PORT: 'abc' })).toThrow(/STACK_KAFKA_PORT: expected an integer/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: expected a postgres/);
    expect(() => loadConfig({ TOPIC_PREFIX: 'Orders!' })).toThrow(/TOPIC_PREFIX/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL: expected one of/);
  });

  it('checks settings against each other: the relay receive timeout must exceed twice the heartbeat', () => {
    expect(() => loadConfig({ RELAY_HEARTBEAT_MS: '10000', RELAY_RECEIVE_TIMEOUT_MS: '20000' })).toThrow(
      /RELAY_RECEIVE_TIMEOUT_MS: 20000 must be more than twice RELAY_HEARTBEAT_MS \(10000\)/,
    );
    expect(
      loadConfig({ RELAY_HEARTBEAT_MS: '10000', RELAY_RECEIVE_TIMEOUT_MS: '20001' }).relayReceiveTimeoutMs,
    ).toBe(20001);
    // 0 turns either off, and then there is nothing to compare.
    expect(loadConfig({ RELAY_HEARTBEAT_MS: '0', RELAY_RECEIVE_TIMEOUT_MS: '1000' }).relayHeartbeatMs).toBe(
      0,
    );
    expect(
      loadConfig({ RELAY_HEARTBEAT_MS: '10000', RELAY_RECEIVE_TIMEOUT_MS: '0' }).relayReceiveTimeoutMs,
    ).toBe(0);
  });

  it('authentication is on by default, verifying the local issuer in the stack folder', () => {
    const config = loadConfig({ STACK_DIR: '/srv/stack' });
    expect(config.authMode).toBe('both');
    expect(config.authAllowOff).toBe(false);
    expect(config.authLocalDir).toBe('/srv/stack/auth');
    expect(config.authJwks).toBe('/srv/stack/auth/jwks.json');
  });

  it('AUTH_MODE=off starts only with AUTH_ALLOW_OFF=true', () => {
    expect(() => loadConfig({ AUTH_MODE: 'off' })).toThrow(/AUTH_MODE: off .* only with AUTH_ALLOW_OFF=true/);
    expect(() => loadConfig({ AUTH_MODE: 'off', AUTH_ALLOW_OFF: 'yes' })).toThrow(
      /AUTH_ALLOW_OFF: expected true or false/,
    );
    expect(loadConfig({ AUTH_MODE: 'off', AUTH_ALLOW_OFF: 'true' }).authMode).toBe('off');
  });

  it('AUTH_JWKS is an http(s) URL or a file path', () => {
    const url = 'https://idp.example/.well-known/jwks.json';
    expect(loadConfig({ AUTH_JWKS: url }).authJwks).toBe(url);
    expect(() => loadConfig({ AUTH_JWKS: 'ftp://idp.example/jwks' })).toThrow(/AUTH_JWKS: expected a http/);
    expect(() => loadConfig({ AUTH_ROLES_CLAIM: 'my roles' })).toThrow(/AUTH_ROLES_CLAIM/);
  });

  it('reports every bad setting at once, as a config.invalid error', () => {
    let caught: unknown;
    try {
      loadConfig({ STACK_PG_PORT: '70000', KAFKA_BROKERS: 'nohost' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TributaryError);
    expect((caught as TributaryError).code).toBe('config.invalid');
    expect((caught as TributaryError).message).toMatch(/STACK_PG_PORT: expected an integer from 1 to 65535/);
    expect((caught as TributaryError).message).toMatch(/KAFKA_BROKERS: expected host:port/);
  });

  it('every setting is documented', () => {
    for (const row of describeSettings()) {
      expect(row.env).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(row.description.length).toBeGreaterThan(10);
    }
  });
});
