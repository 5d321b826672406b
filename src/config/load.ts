import { existsSync, readFileSync } from 'node:fs';
import { TributaryError } from '../errors';
import { maskUrlPasswords } from './mask';
import { settings, SettingKey, Settings } from './settings';

/** The fully-populated, validated configuration passed down from the entry point. */
export type Config = { readonly [K in SettingKey]: ReturnType<Settings[K]['parse']> };

export type Environment = Readonly<Record<string, string | undefined>>;

const keys = Object.keys(settings) as SettingKey[];

/** The raw string each setting takes: its environment value, or its default with `${NAME}` resolved. */
function resolveRaw(env: Environment): Map<string, string> {
  const byEnv = new Map(keys.map((key) => [settings[key].env, settings[key]]));
  const resolved = new Map<string, string>();
  const resolve = (name: string, seen: string[]): string => {
    const known = resolved.get(name);
    if (known !== undefined) return known;
    const definition = byEnv.get(name);
    if (!definition) throw new Error(`unknown setting \${${name}} in a default`);
    if (seen.includes(name)) throw new Error(`settings refer to each other: ${[...seen, name].join(' → ')}`);
    const fromEnv = env[name];
    const raw =
      fromEnv !== undefined
        ? fromEnv
        : definition.default.replace(/\$\{([A-Z0-9_]+)\}/g, (_, ref: string) =>
            resolve(ref, [...seen, name]),
          );
    resolved.set(name, raw);
    return raw;
  };
  for (const key of keys) resolve(settings[key].env, []);
  return resolved;
}

/**
 * Rules between settings, checked once each setting is valid on its own: each returns the problem, if any.
 */
const RULES: readonly ((config: Config) => string | undefined)[] = [
  ({ relayReceiveTimeoutMs: timeout, relayHeartbeatMs: heartbeat }) =>
    timeout > 0 && heartbeat > 0 && timeout <= 2 * heartbeat
      ? `RELAY_RECEIVE_TIMEOUT_MS: ${timeout} must be more than twice RELAY_HEARTBEAT_MS (${heartbeat}), or 0: on a quiet database the heartbeats are what the relay receives, and one late heartbeat must not end a session`
      : undefined,
  ({ authMode, authAllowOff }) =>
    authMode === 'off' && !authAllowOff
      ? 'AUTH_MODE: off lets anyone who reaches the API do anything; it starts only with AUTH_ALLOW_OFF=true'
      : undefined,
];

/**
 * Validates every setting once and returns the config. A bad value stops here with a message naming the
 * setting; nothing below `config/` reads the environment.
 */
export function loadConfig(env: Environment = process.env): Config {
  const raw = resolveRaw(env);
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const key of keys) {
    const { env: name, parse } = settings[key];
    try {
      values[key] = parse(raw.get(name) ?? '');
    } catch (error) {
      problems.push(`${name}: ${maskUrlPasswords(error instanceof Error ? error.message : String(error))}`);
    }
  }
  if (problems.length === 0) {
    for (const rule of RULES) {
      const problem = rule(values as Config);
      if (problem !== undefined) problems.push(maskUrlPasswords(problem));
    }
  }
  if (problems.length > 0) {
    throw new TributaryError('config.invalid', `invalid configuration: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return withPasswordFile(values as Config);
}

/**
 * DATABASE_URL without a password takes the one in DATABASE_PASSWORD_FILE, when that file exists: the local
 * stack's superuser logs in with the password the stack generated, and the URL in the environment (and in
 * anything that echoes it) carries none. A password in the URL always wins.
 */
function withPasswordFile(config: Config): Config {
  const url = new URL(config.databaseUrl);
  const file = config.databasePasswordFile;
  if (url.username === '' || url.password !== '' || file === '' || !existsSync(file)) return config;
  url.password = encodeURIComponent(readFileSync(file, 'utf8').trim());
  return { ...config, databaseUrl: url.toString() };
}

/** The settings as documentation rows (env, default, description), in table order. */
export function describeSettings(): { env: string; default: string; description: string }[] {
  return keys.map((key) => ({
    env: settings[key].env,
    default: settings[key].default,
    description: settings[key].description,
  }));
}

/** The configuration table in Markdown, as docs/configuration.md carries it. */
export function settingsMarkdown(): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const rows = describeSettings().map(
    (row) =>
      `| \`${row.env}\` | ${row.default === '' ? '(empty)' : `\`${row.default}\``} | ${escape(row.description)} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
