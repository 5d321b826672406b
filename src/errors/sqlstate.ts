/**
 * The PostgreSQL SQLSTATEs Tributary acts on, by name, and the predicates that read them. Every check of a
 * SQLSTATE lives here, so a reader finds in one place which server errors mean what.
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html)
 */
export const SQLSTATE = {
  uniqueViolation: '23505',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
  tooManyConnections: '53300',
  connectionException: '08000',
  connectionDoesNotExist: '08003',
  connectionFailure: '08006',
} as const;

/**
 * SQLSTATE classes after which a statement's outcome is unknown: 08 (connection exception) and 57 (operator
 * intervention: the server shut down or ended the session), possibly after it committed.
 */
const OUTCOME_UNKNOWN_CLASSES: readonly string[] = ['08', '57'];

/** The SQLSTATE of a PostgreSQL error (five digits or capitals), undefined for anything else. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * A unique constraint rejected the write (a concurrent writer got there first), on the error itself or on
 * the driver error it wraps as its `cause`.
 */
export function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null | undefined)?.cause;
  return sqlStateOf(error) === SQLSTATE.uniqueViolation || sqlStateOf(cause) === SQLSTATE.uniqueViolation;
}

/**
 * Whether a failed statement certainly committed nothing: the server answered it with an error (a SQLSTATE at
 * severity ERROR), and not one about the connection or the server going away, after which the outcome is
 * unknown.
 */
export function isRejectedByServer(error: unknown): boolean {
  const code = sqlStateOf(error);
  const severity = (error as { severity?: unknown } | null | undefined)?.severity;
  return (
    code !== undefined &&
    severity === 'ERROR' &&
    !OUTCOME_UNKNOWN_CLASSES.some((sqlClass) => code.startsWith(sqlClass))
  );
}
