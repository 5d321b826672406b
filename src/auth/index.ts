export {
  apiKeyPrefix,
  apiKeyPrincipal,
  createApiKey,
  createApiKeyVerifier,
  hashApiKey,
  type ApiKeyVerifier,
  type NewApiKey,
} from './api-keys';
export {
  ANONYMOUS,
  anonymousAuthenticator,
  createAuthenticator,
  credentialOf,
  type AuthMode,
  type Authenticator,
} from './authenticator';
export { authenticatorFor, ensureLocalIssuerFor } from './from-config';
export { ACTOR_HEADER, registerAuth, type AuthHookOptions } from './hook';
export { createJwtVerifier, JWT_ALGORITHMS, type JwtVerifier } from './jwt';
export { ensureLocalKeys, mintLocalToken, parseTtl, type LocalKeys, type TokenRequest } from './local-issuer';
export {
  customerScopeOf,
  historyFor,
  ROUTE_POLICIES,
  STAFF_ACTOR,
  type CustomerScope,
  type RoutePolicy,
} from './policy';
export { isRole, principalOf, ROLES, type Principal, type Role } from './principal';
export type { ApiKeyRecord } from './sql/api-key-row';
export { listApiKeys } from './sql/list-api-keys';
export { revokeApiKey } from './sql/revoke-api-key';
export { revokeClientApiKeys } from './sql/revoke-client-api-keys';
export { createExpiringCache, type ExpiringCache } from './token-cache';
