export { buildApp, DEFAULT_BODY_LIMIT_BYTES, type BuildAppOptions } from './app';
export { DOCS_PATH } from './docs';
export { formatEtag, parseIfMatch } from './etag';
export {
  PROBLEM_CONTENT_TYPE,
  PROBLEM_STATUSES,
  problemType,
  toProblem,
  type FieldError,
  type Problem,
} from './problem';
export { startServer, type ListenOptions } from './server';
