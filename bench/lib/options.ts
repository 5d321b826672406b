/**
 * Bench options: `--name=value` on the command line wins over the environment variable, which wins over
 * the default. Only numbers and short words, so every run can be reproduced from its printed command.
 */

function raw(flag: string, envName: string): string | undefined {
  const prefix = `--${flag}=`;
  const arg = process.argv.slice(2).find((a) => a.startsWith(prefix));
  return arg !== undefined ? arg.slice(prefix.length) : process.env[envName];
}

export function numberOption(flag: string, envName: string, fallback: number): number {
  const value = raw(flag, envName);
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`--${flag} / ${envName} must be a number >= 0, got ${value}`);
  return n;
}

export function choiceOption<T extends string>(
  flag: string,
  envName: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = raw(flag, envName);
  if (value === undefined || value === '') return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new Error(`--${flag} / ${envName} must be one of ${choices.join(', ')}, got ${value}`);
  }
  return value as T;
}

/** The options that differ from their defaults, as `--name=value` words for the reproduce line. */
export function givenOptions(): string[] {
  return process.argv.slice(2).filter((a) => a.startsWith('--'));
}

/** A comma-separated list of choices, e.g. `--sides=pgbench,tributary`. */
export function listOption<T extends string>(
  flag: string,
  envName: string,
  choices: readonly T[],
  fallback: readonly T[],
): T[] {
  const value = raw(flag, envName);
  if (value === undefined || value === '') return [...fallback];
  const items = value.split(',').map((item) => item.trim());
  const unknown = items.filter((item) => !(choices as readonly string[]).includes(item));
  if (unknown.length > 0 || items.length === 0) {
    throw new Error(`--${flag} / ${envName} takes a list of ${choices.join(', ')}; got ${value}`);
  }
  return items as T[];
}

/** A comma-separated list of numbers, e.g. `--rates=250,500,1000`. */
export function numberListOption(flag: string, envName: string, fallback: readonly number[]): number[] {
  const value = raw(flag, envName);
  if (value === undefined || value === '') return [...fallback];
  const items = value.split(',').map((item) => Number(item.trim()));
  if (items.some((n) => !Number.isFinite(n) || n <= 0)) {
    throw new Error(`--${flag} / ${envName} takes a list of positive numbers; got ${value}`);
  }
  return items;
}
