/**
 * The API's one error shape: `{ error: { code, message, details } }` with the HTTP status of the code
 * (src/shared/errors.ts). Request-schema failures are 400 `bad_input` naming each field; anything
 * that is not a HuikuanError is a 500 `internal` whose message says nothing of the internals.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorCode, HuikuanError, httpStatusFor, isHuikuanError } from '../shared/errors.ts';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: unknown };
}

export function errorBody(code: ErrorCode, message: string, details: unknown = null): ErrorBody {
  return { error: { code, message, details: details ?? null } };
}

interface FieldIssue {
  field: string;
  message: string;
}

/** The fields a schema validation error names, as `body.amount_minor`, `query.page`, … */
function fieldIssues(error: FastifyError): FieldIssue[] {
  const where = error.validationContext ?? 'request';
  return (error.validation ?? []).map((issue) => {
    const raw = issue as unknown as { instancePath?: string; message?: string; params?: { issue?: unknown } };
    const zodIssue = raw.params?.issue as { path?: (string | number)[] } | undefined;
    const path = zodIssue?.path?.length
      ? zodIssue.path.join('.')
      : (raw.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
    return { field: path ? `${where}.${path}` : where, message: raw.message ?? 'is not valid' };
  });
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  if (isHuikuanError(error)) {
    reply
      .status(error instanceof RequestFieldError ? 400 : httpStatusFor(error))
      .send(errorBody(error.code, error.message, error.details));
    return;
  }
  const fastifyError = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fastifyError) || fastifyError.validation) {
    const issues = fieldIssues(fastifyError);
    const summary = issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
    reply
      .status(400)
      .send(
        errorBody(
          'bad_input',
          `The request is not valid — ${summary || fastifyError.message}. Correct these fields and send it again.`,
          { fields: issues },
        ),
      );
    return;
  }
  const status = fastifyError.statusCode;
  if (status === 429) {
    reply
      .status(429)
      .send(errorBody('limit_exceeded', 'Too many requests: wait a moment and try again.', null));
    return;
  }
  if (
    status === 413 ||
    fastifyError.code === 'FST_REQ_FILE_TOO_LARGE' ||
    fastifyError.code === 'FST_FILES_LIMIT'
  ) {
    reply
      .status(413)
      .send(errorBody('limit_exceeded', `The request is too large: ${fastifyError.message}.`, null));
    return;
  }
  if (status !== undefined && status >= 400 && status < 500) {
    // Fastify's own refusals: malformed JSON, unsupported media type, not-multipart, …
    const code: ErrorCode = status === 404 ? 'not_found' : status === 401 ? 'unauthenticated' : 'bad_input';
    reply
      .status(status === 404 || status === 401 ? status : 400)
      .send(errorBody(code, fastifyError.message, null));
    return;
  }
  request.log.error({ err: error }, 'unhandled error');
  reply
    .status(500)
    .send(
      errorBody(
        'internal',
        `Something went wrong on the server (request ${request.id}). Try again; if it persists, tell the administrator this request id.`,
        null,
      ),
    );
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  reply
    .status(404)
    .send(errorBody('not_found', `There is no ${request.method} ${request.url.split('?')[0]} in this API.`));
}

/**
 * A request field the route schema cannot express (a multipart field, for example) is wrong: 400
 * `bad_input` like a schema failure, where a service's `bad_input` about the data is 422.
 */
export class RequestFieldError extends HuikuanError {
  constructor(field: string, message: string) {
    super('bad_input', `${field}: ${message}`, { fields: [{ field, message }] });
  }
}
