import { TestIssuer } from '../../test/fixtures/auth';
import { TributaryError } from '../errors';
import { apiKeyPrefix, apiKeyPrincipal, checkApiKeyRequest, type ApiKeyVerifier } from './api-keys';
import { ANONYMOUS, anonymousAuthenticator, createAuthenticator, credentialOf } from './authenticator';

const issuer = new TestIssuer();
const KEY = `trb_0123456789ab_${'A'.repeat(43)}`;
const keys: ApiKeyVerifier = {
  verify: async (key) =>
    key === KEY
      ? apiKeyPrincipal({ clientId: 'shop', roles: ['admin'], customerId: null })
      : Promise.reject(new Error('no')),
};

describe('credentials in headers', () => {
  it('reads Bearer and ApiKey schemes (any case) and X-API-Key', () => {
    expect(credentialOf({ authorization: 'Bearer abc.def.ghi' })).toEqual({
      scheme: 'bearer',
      value: 'abc.def.ghi',
    });
    expect(credentialOf({ authorization: 'bearer t' })).toEqual({ scheme: 'bearer', value: 't' });
    expect(credentialOf({ authorization: `ApiKey ${KEY}` })).toEqual({ scheme: 'apikey', value: KEY });
    expect(credentialOf({ 'x-api-key': KEY })).toEqual({ scheme: 'apikey', value: KEY });
    expect(credentialOf({})).toBeUndefined();
  });

  it.each([
    [{ authorization: 'Basic dXNlcjpwYXNz' }, /must be "Bearer <token>" or "ApiKey <key>"/],
    [{ authorization: 'Bearer' }, /must be/],
    [{ authorization: 'Bearer a b' }, /must be/],
    [{ authorization: 'Bearer t', 'x-api-key': KEY }, /one credential/],
  ])('refuses %j with 401', (headers, message) => {
    expect(() => credentialOf(headers)).toThrow(message);
  });
});

describe('AUTH_MODE', () => {
  const token = issuer.tokenFor('admin');

  it('both: a token or a key', async () => {
    const both = createAuthenticator({ mode: 'both', jwt: issuer.verifier(), apiKeys: keys });
    await expect(both.authenticate({ authorization: `Bearer ${token}` })).resolves.toEqual(
      expect.objectContaining({ id: 'test-admin', kind: 'user' }),
    );
    await expect(both.authenticate({ 'x-api-key': KEY })).resolves.toEqual({
      id: 'apikey:shop',
      kind: 'service',
      roles: ['admin'],
    });
    expect(both.challenges(false)).toEqual(['Bearer realm="tributary"', 'ApiKey realm="tributary"']);
    expect(both.challenges(true)[0]).toBe('Bearer realm="tributary", error="invalid_token"');
  });

  it('jwt: API keys are refused, and the other way round', async () => {
    const jwt = createAuthenticator({ mode: 'jwt', jwt: issuer.verifier() });
    await expect(jwt.authenticate({ 'x-api-key': KEY })).rejects.toThrow(/does not accept API keys/);
    const apikey = createAuthenticator({ mode: 'apikey', apiKeys: keys });
    await expect(apikey.authenticate({ authorization: `Bearer ${token}` })).rejects.toThrow(
      /does not accept bearer tokens/,
    );
    expect(apikey.challenges(false)).toEqual(['ApiKey realm="tributary"']);
  });

  it('no credential is a 401 that says what to send', async () => {
    const both = createAuthenticator({ mode: 'both', jwt: issuer.verifier(), apiKeys: keys });
    const error = await both.authenticate({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe('auth.unauthenticated');
    expect((error as Error).message).toMatch(/Authorization: Bearer <token> or X-API-Key: <key>/);
  });

  it('a mode without its verifier is a programming error, caught at start-up', () => {
    expect(() => createAuthenticator({ mode: 'both', jwt: issuer.verifier() })).toThrow(
      /needs its verifiers/,
    );
  });

  it('off: everyone is the anonymous admin, whatever they send', async () => {
    await expect(anonymousAuthenticator().authenticate({ authorization: 'Bearer junk' })).resolves.toBe(
      ANONYMOUS,
    );
  });
});

describe('API keys', () => {
  it('have a prefix that finds them; anything else is not a key', () => {
    expect(apiKeyPrefix(KEY)).toBe('trb_0123456789ab');
    expect(apiKeyPrefix(`${KEY}x`)).toBeUndefined();
    expect(apiKeyPrefix('trb_0123456789ab')).toBeUndefined();
  });

  it('stand for apikey:<client>, with the customer id of a customer key', () => {
    expect(apiKeyPrincipal({ clientId: 'app', roles: ['customer'], customerId: 'c-1' })).toEqual({
      id: 'apikey:app',
      kind: 'service',
      roles: ['customer'],
      customerId: 'c-1',
    });
  });

  it.each([
    ['bad client!', ['admin'], undefined, /--client must be/],
    ['app', [], undefined, /at least one --role/],
    ['app', ['customer'], undefined, /needs --customer/],
    ['app', ['admin'], 'c-1', /--customer goes only with --role customer/],
  ] as const)(
    'a request for client %j roles %j customer %j is refused',
    (client, roles, customer, message) => {
      expect(() => checkApiKeyRequest(client, roles, customer)).toThrow(message);
    },
  );
});
