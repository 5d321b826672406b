import pino, { type Logger } from 'pino';
import type { Config } from '../config';

/** Structured JSON logs on stdout; one logger per process, children per component. */
export function createLogger(config: Config, name: string): Logger {
  return pino({ name, level: config.logLevel });
}

export type { Logger };
