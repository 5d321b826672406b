import type { Config } from '../config';
import type { RunAs } from './exec';
import type { Java } from './preflight';
import type { StackPaths } from './paths';

/** What every service start needs to know. */
export interface StackContext {
  config: Config;
  paths: StackPaths;
  /** The unprivileged user services run as, when the stack is started as root. */
  runAs: RunAs | undefined;
  /** Progress lines for the person at the terminal. */
  report: (line: string) => void;
  /** Java, resolved once (only services that need it ask for it). */
  java: () => Promise<Java>;
}

export interface Health {
  healthy: boolean;
  version?: string;
  /** Why it is not healthy (connection refused, cluster red, ...). */
  detail?: string;
}

export interface PortSpec {
  port: number;
  /** The setting that moves this port, named in the error when it is taken. */
  setting: string;
}

/** One service of the local stack. The manager drives it: install → start → wait for health → ready. */
export interface Service {
  name: 'postgres' | 'kafka' | 'elasticsearch';
  ports(config: Config): PortSpec[];
  /** Fetches binaries and prepares data and configuration; cached, so a second call is quick. */
  install(context: StackContext): Promise<void>;
  /**
   * Brings the configuration of a service that is already running up to date, where it can take changes
   * while it runs (idempotent, and quick when nothing changed). Before its health is checked.
   */
  reconcile?(context: StackContext): Promise<void>;
  /** Starts the service in the background; returns its pid. */
  start(context: StackContext): Promise<number>;
  health(context: StackContext): Promise<Health>;
  /** Runs once the service is healthy after a start (e.g. create the application database). */
  ready?(context: StackContext): Promise<void>;
  /** The signal that asks this service for a clean, fast shutdown, and how long to wait for it. */
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
}
