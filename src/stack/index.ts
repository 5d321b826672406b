export { up, down, status, logs, formatStatus, SERVICES } from './manager';
export type { ServiceStatus, ServiceName } from './manager';
export { stackPaths } from './paths';
export { probe, allReachable } from './probe';
