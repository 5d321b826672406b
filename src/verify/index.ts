export { verifyPipeline, formatReport, CHECKS, type CheckName, type VerifyDeps } from './verify';
export type { CheckResult, Problem, ProblemKind, VerifyReport, VerifyWindow } from './types';
