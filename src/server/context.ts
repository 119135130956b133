/**
 * What every route module gets: the database, the Fastify instance typed for zod schemas, list
 * paging, and the audit call. Kept apart from app.ts so route files import no server wiring.
 */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type pg from 'pg';
import { z } from 'zod';
import type { Db } from '../db/connection.ts';
import { principalOf } from './access.ts';

export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface ServerDeps {
  db: Db;
  /** For the services that COPY (placement import). */
  pool: pg.Pool;
}

export const limits = {
  jsonBodyBytes: 1024 * 1024,
  uploadBytes: 200 * 1024 * 1024,
  /** Whole request, uploads included. */
  requestTimeoutMs: 10 * 60_000,
  /** Requests per minute per signed-in user (or per IP before sign-in). */
  requestsPerMinute: 1200,
  /** Login attempts per minute per IP. */
  loginsPerMinute: 20,
};

export const maxPageSize = 200;

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1).describe('1-based page number'),
  page_size: z.coerce
    .number()
    .int()
    .min(1)
    .max(maxPageSize)
    .default(50)
    .describe(`rows per page, at most ${maxPageSize}`),
};

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

export function pageOf<T>(items: T[], total: number, query: { page: number; page_size: number }): Page<T> {
  return { items, total, page: query.page, page_size: query.page_size };
}

/** Pages a list computed in full (small lists: clients, proposals). */
export function slicePage<T>(all: T[], query: { page: number; page_size: number }): Page<T> {
  const start = (query.page - 1) * query.page_size;
  return pageOf(all.slice(start, start + query.page_size), all.length, query);
}

/** A numeric id in a path or query: digits, read as bigint. */
export const idText = z
  .string()
  .regex(/^[1-9]\d{0,17}$/, 'a numeric id')
  .transform((text) => BigInt(text))
  .describe('numeric id');

export const idParam = z.object({ id: idText });

/** A numeric id in a JSON body: a number or a string of digits, read as bigint. */
export const bodyId = z.union([
  z
    .number()
    .int()
    .positive()
    .transform((value) => BigInt(value)),
  idText,
]);

export const clientCode = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'a client code: letters, digits, _ or -, at most 32')
  .describe("the client's code");

export const businessDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine(
    (text) =>
      !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) &&
      new Date(`${text}T00:00:00Z`).toISOString().startsWith(text),
    'a real calendar date',
  )
  .describe('YYYY-MM-DD');

/** Minor units as a JSON integer (or a string of digits, for amounts beyond 2^53). */
export const minorAmount = z
  .union([z.number().int().safe(), z.string().regex(/^-?\d{1,18}$/)])
  .transform((value) => BigInt(value))
  .describe('an amount in minor units (fen, cents), an integer');

export const positiveMinor = minorAmount.refine((value) => value > 0n, 'must be greater than 0');

export const reasonText = z.string().trim().min(1, 'give a reason').max(2000);

/** The acting user name for the services' `actor` / `user` fields. */
export function actorOf(request: FastifyRequest): string {
  return principalOf(request).username;
}
