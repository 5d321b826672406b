export { runSetup, describeSetup } from './setup';
export type { SetupReport } from './setup';
export { deploymentTopics, ensureTopics } from './topics';
export { componentAcls, ensureAcls } from './acls';
