import { Pool } from 'pg';
import {
  createApiKey,
  ensureLocalKeys,
  isRole,
  listApiKeys,
  mintLocalToken,
  parseTtl,
  revokeApiKey,
  ROLES,
  type ApiKeyRecord,
  type Role,
} from '../auth';
import type { Config } from '../config';
import { migrate } from '../db/data-source';
import { databaseUrlFor } from './database';
import { pgExecutor } from '../db/executor';
import { withSessionOptions } from '../db/pool';
import { TributaryError } from '../errors';

/**
 * `tributary auth …`: the local issuer (keys and tokens for development, the demo and tests) and the service
 * API keys. What a command prints on stdout is the thing to keep (a token, a key, a list); notes go to
 * stderr, so `TOKEN=$(npm run -s tributary -- auth token --sub me --role admin)` works.
 */

export const AUTH_USAGE = `  auth keys [--rotate]           create the local issuer's key pair and JWKS in AUTH_LOCAL_DIR (kept unless --rotate)
  auth token --sub ID --role R [--role R] [--customer ID] [--ttl 1h]
                                 print a token of the local issuer (roles: ${ROLES.join(', ')})
  auth api-key create --client ID --role R [--role R] [--customer ID]
                                 create a service API key; it is printed once, only its hash is stored
  auth api-key list              every key: prefix, client, roles, customer, created, revoked
  auth api-key revoke PREFIX     revoke a key (the API stops accepting it within AUTH_API_KEY_CACHE_MS)`;

type Flags = { values: Map<string, string[]>; positional: string[] };

/** `--name value` pairs (repeatable) and positional words; an unknown flag is an error naming the known ones. */
function parseFlags(args: string[], known: readonly string[], switches: readonly string[] = []): Flags {
  const flags: Flags = { values: new Map(), positional: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) flags.positional.push(arg);
    else if (switches.includes(arg)) flags.values.set(arg, ['true']);
    else if (known.includes(arg) && args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) {
      flags.values.set(arg, [...(flags.values.get(arg) ?? []), args[++i]!]);
    } else {
      const expected = [...known.map((flag) => `${flag} VALUE`), ...switches].join(', ');
      throw new TributaryError('input.invalid', `unexpected '${arg}': expected ${expected || 'no options'}`);
    }
  }
  return flags;
}

const one = (flags: Flags, name: string): string | undefined => flags.values.get(name)?.at(-1);

function rolesOf(flags: Flags): Role[] {
  const roles = flags.values.get('--role') ?? [];
  const unknown = roles.filter((role) => !isRole(role));
  if (roles.length === 0 || unknown.length > 0) {
    throw new TributaryError(
      'input.invalid',
      `--role must be one of ${ROLES.join(', ')}${unknown.length > 0 ? `, got '${unknown.join("', '")}'` : ''}`,
    );
  }
  return roles as Role[];
}

const note = (line: string) => process.stderr.write(`${line}\n`);

async function tokenCommand(config: Config, args: string[], say: (line: string) => void): Promise<number> {
  const flags = parseFlags(args, ['--sub', '--role', '--customer', '--ttl']);
  const sub = one(flags, '--sub');
  if (sub === undefined || sub.trim() === '')
    throw new TributaryError('input.invalid', 'auth token needs --sub ID');
  const roles = rolesOf(flags);
  const customerId = one(flags, '--customer');
  if (roles.includes('customer') !== (customerId !== undefined)) {
    throw new TributaryError('input.invalid', '--customer ID goes with --role customer, and only with it');
  }
  const keys = await ensureLocalKeys(config.authLocalDir);
  if (keys.created) note(`auth: created the local issuer's key ${keys.kid} in ${config.authLocalDir}`);
  const ttlS = parseTtl(one(flags, '--ttl') ?? '1h');
  say(
    await mintLocalToken(config.authLocalDir, {
      sub,
      roles,
      ...(customerId === undefined ? {} : { customerId }),
      ttlS,
      issuer: config.authIssuer,
      audience: config.authAudience,
      rolesClaim: config.authRolesClaim,
      customerClaim: config.authCustomerClaim,
    }),
  );
  return 0;
}

function describeKey(key: ApiKeyRecord): string {
  const revoked = key.revokedAt === null ? '-' : key.revokedAt.toISOString();
  return [
    key.prefix,
    key.clientId,
    key.roles.join(','),
    key.customerId ?? '-',
    key.createdAt.toISOString(),
    revoked,
  ]
    .map((cell) => cell.padEnd(20))
    .join(' ')
    .trimEnd();
}

async function apiKeyCommand(config: Config, args: string[], say: (line: string) => void): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'create' && verb !== 'list' && verb !== 'revoke') {
    throw new TributaryError(
      'input.invalid',
      `auth api-key needs create, list or revoke, got '${verb ?? ''}'`,
    );
  }
  const flags =
    verb === 'create' ? parseFlags(rest, ['--client', '--role', '--customer']) : parseFlags(rest, []);
  if (verb === 'revoke' && flags.positional.length !== 1) {
    throw new TributaryError(
      'input.invalid',
      'auth api-key revoke needs the PREFIX of one key (see auth api-key list)',
    );
  }
  await migrate(config);
  // Creating and revoking keys is administration: the owner's (the API role may only look keys up).
  const pool = new Pool({ connectionString: withSessionOptions(databaseUrlFor(config, 'migrate')), max: 1 });
  const executor = pgExecutor(pool);
  try {
    if (verb === 'create') {
      const customerId = one(flags, '--customer');
      const { key, record } = await createApiKey(executor, {
        clientId: one(flags, '--client') ?? '',
        roles: rolesOf(flags),
        ...(customerId === undefined ? {} : { customerId }),
      });
      note(`auth: API key ${record.prefix} for ${record.clientId} (${record.roles.join(', ')}); shown once:`);
      say(key);
    } else if (verb === 'list') {
      say(
        ['prefix', 'client', 'roles', 'customer', 'created', 'revoked']
          .map((c) => c.padEnd(20))
          .join(' ')
          .trimEnd(),
      );
      for (const key of await listApiKeys(executor)) say(describeKey(key));
    } else {
      const prefix = flags.positional[0]!;
      const revoked = await revokeApiKey(executor, prefix);
      if (revoked === undefined)
        throw new TributaryError('input.invalid', `there is no API key with prefix ${prefix}`);
      say(`revoked ${revoked.prefix} (${revoked.clientId}) at ${revoked.revokedAt!.toISOString()}`);
    }
    return 0;
  } finally {
    await pool.end();
  }
}

/** `tributary auth <keys|token|api-key> …`. */
export async function authCommand(
  config: Config,
  args: string[],
  say: (line: string) => void,
): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'keys': {
      const flags = parseFlags(rest, [], ['--rotate']);
      const keys = await ensureLocalKeys(config.authLocalDir, { rotate: flags.values.has('--rotate') });
      say(
        `${keys.created ? 'created' : 'kept'} the local issuer's key ${keys.kid}: private key ${keys.signingKeyPath}, JWKS ${keys.jwksPath}`,
      );
      return 0;
    }
    case 'token':
      return tokenCommand(config, rest, say);
    case 'api-key':
      return apiKeyCommand(config, rest, say);
    default:
      throw new TributaryError(
        'input.invalid',
        `auth needs keys, token or api-key, got '${command ?? ''}'\n${AUTH_USAGE}`,
      );
  }
}
