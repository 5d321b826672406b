export { verifyPipeline, formatReport, CHECKS, type CheckName, type VerifyDeps } from './verify';
export type { CheckResult, Problem, ProblemKind, VerifyReport, VerifyWindow } from './types';
export { sagasInProgress, type CaptureLookup } from './saga';
export { TIMER_GRACE_MS } from './saga-rules';
