/**
 * Parsers for settings: each takes the raw string and returns the value or throws a plain Error whose
 * message says what was expected. `loadConfig` adds the setting's name.
 */
export type Parser<T> = (raw: string) => T;

export const text: Parser<string> = (raw) => raw;

export const nonEmpty: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new Error('expected a non-empty value');
  return raw;
};

export function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`expected an integer, got '${raw}'`);
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`expected an integer from ${min} to ${max}, got ${raw}`);
    return value;
  };
}

export const port: Parser<number> = integer(1, 65535);

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** A duration as milliseconds, written with a unit (`500ms`, `30s`, `10m`, `24h`, `7d`) or as bare milliseconds. */
export function duration(minMs: number, maxMs: number): Parser<number> {
  return (raw) => {
    const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(raw.trim());
    if (!match) throw new Error(`expected a duration such as 30s, 10m or 24h, got '${raw}'`);
    const value = Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 'ms'] ?? 1);
    if (value < minMs || value > maxMs) {
      throw new Error(`expected a duration from ${minMs} ms to ${maxMs} ms, got ${raw} (${value} ms)`);
    }
    return value;
  };
}

export function url(...protocols: string[]): Parser<string> {
  return (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Error(`expected a URL, got '${raw}'`);
    }
    if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
      throw new Error(`expected a ${protocols.join(' or ')} URL, got '${raw}'`);
    }
    return raw;
  };
}

/** Comma-separated host:port pairs, e.g. Kafka bootstrap servers. */
export const hostPorts: Parser<string[]> = (raw) => {
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new Error('expected at least one host:port');
  for (const item of items) {
    const match = /^(.+):(\d+)$/.exec(item);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw new Error(`expected host:port, got '${item}'`);
    }
  }
  return items;
};

export function oneOf<T extends string>(...values: T[]): Parser<T> {
  return (raw) => {
    if (!(values as string[]).includes(raw))
      throw new Error(`expected one of ${values.join(', ')}, got '${raw}'`);
    return raw as T;
  };
}

/** A name prefix for topics, indices, slots: lowercase letters, digits, '.', '_' and '-'. */
export const prefix: Parser<string> = (raw) => {
  if (!/^[a-z0-9._-]*$/.test(raw)) {
    throw new Error(`expected lowercase letters, digits, '.', '_' or '-', got '${raw}'`);
  }
  return raw;
};

export const version: Parser<string> = (raw) => {
  if (!/^\d+\.\d+\.\d+$/.test(raw)) throw new Error(`expected a version like 1.2.3, got '${raw}'`);
  return raw;
};

/** A PostgreSQL identifier we create (slot, publication): lowercase letters, digits and '_'. */
export const identifier: Parser<string> = (raw) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) {
    throw new Error(`expected lowercase letters, digits and '_' (at most 63), got '${raw}'`);
  }
  return raw;
};

/** `true` or `false`, nothing else (a typo must not silently mean false). */
export const boolean: Parser<boolean> = (raw) => {
  if (raw !== 'true' && raw !== 'false') throw new Error(`expected true or false, got '${raw}'`);
  return raw === 'true';
};

/** Where a JWKS comes from: an http(s) URL, or a file path (anything that is not a URL). */
export const jwksSource: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new Error('expected a JWKS URL or file path');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return url('http', 'https')(raw);
  return raw;
};

/**
 * A claim: its name (`roles`, or a namespaced one such as `https://shop.example/roles`), or a dotted path into
 * nested claims (`realm_access.roles`). No whitespace.
 */
export const claimPath: Parser<string> = (raw) => {
  if (!/^\S{1,200}$/.test(raw)) throw new Error(`expected a claim name or dotted path, got '${raw}'`);
  return raw;
};

/** `parse`, or the empty string for an empty value (a setting that falls back to another one). */
export function optional<T>(parse: Parser<T>): Parser<T | ''> {
  return (raw) => (raw === '' ? '' : parse(raw));
}

/**
 * A secret such as a password: any value. Its own parser (not `text`), so that whatever echoes settings can
 * tell secrets by their parser and mask them.
 */
export const secret: Parser<string> = (raw) => raw;

/** Comma-separated names (lowercase letters, digits, '.', '_', '-'), at least one; duplicates dropped. */
export const names: Parser<string[]> = (raw) => {
  const items = [...new Set(raw.split(',').map((item) => item.trim()))].filter((item) => item !== '');
  if (items.length === 0) throw new Error('expected at least one name');
  for (const item of items) {
    if (!/^[a-z0-9._-]+$/.test(item)) {
      throw new Error(`expected lowercase letters, digits, '.', '_' or '-', got '${item}'`);
    }
  }
  return items;
};
