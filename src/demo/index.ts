export { runDemo, DEMO_DEFAULTS } from './demo';
export type { DemoOptions, DemoOutput } from './demo';
export { Workload } from './workload';
export type { WorkloadOptions, WorkloadStats } from './workload';
export type { TrackedOrder } from './shop';
