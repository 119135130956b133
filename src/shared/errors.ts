/**
 * The one error type of Huikuan. Every failure a user can see carries a code from this closed set,
 * a message that says what was wrong and what to do, and optional details (for example the rows of
 * a file that failed). The CLI maps codes to exit codes and the API maps them to HTTP statuses, each
 * in one place: `exitCodeFor` below and the server's error handler.
 */
export const errorCodes = {
  bad_usage: { exit: 2, http: 400 },
  bad_input: { exit: 2, http: 422 },
  bad_file: { exit: 2, http: 422 },
  not_found: { exit: 1, http: 404 },
  conflict: { exit: 1, http: 409 },
  duplicate: { exit: 1, http: 409 },
  forbidden: { exit: 1, http: 403 },
  unauthenticated: { exit: 1, http: 401 },
  invalid_state: { exit: 1, http: 409 },
  limit_exceeded: { exit: 1, http: 413 },
  invariant_violated: { exit: 1, http: 500 },
  database_unavailable: { exit: 1, http: 503 },
  internal: { exit: 1, http: 500 },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class HuikuanError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HuikuanError';
    this.code = code;
    this.details = details;
  }
}

export function isHuikuanError(error: unknown): error is HuikuanError {
  return error instanceof HuikuanError;
}

export function exitCodeFor(error: unknown): number {
  return isHuikuanError(error) ? errorCodes[error.code].exit : 1;
}

export function httpStatusFor(error: unknown): number {
  return isHuikuanError(error) ? errorCodes[error.code].http : 500;
}
