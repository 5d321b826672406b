export { createLogger } from './logger';
export type { Logger } from './logger';
export { serveMetrics } from './metrics-server';
export { silenceKnownWarnings } from './known-warnings';
