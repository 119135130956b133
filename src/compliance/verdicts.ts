/**
 * The gate's verdict log for compliance (issue 4 point 8): every stored verdict, newest first,
 * filtered by verdict, channel, account and date, in the caller's client scope.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/connection.ts';
import { readScoped, requireRoles } from '../server/access.ts';
import { type Api, businessDate, idText, pageOf, pageQuery, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { cappedCount, chinaDayRange } from './console-list.ts';
import { channels } from './profiles.ts';

export interface VerdictFilter {
  verdict?: 'allow' | 'deny' | 'allow_with_conditions';
  channel?: string;
  accountId?: bigint;
  /** Business dates (China time), inclusive. */
  from?: string;
  to?: string;
  offset: number;
  limit: number;
}

export interface VerdictRow {
  id: bigint;
  client_id: bigint;
  account_id: bigint;
  actor: string;
  purpose: string;
  channel: string;
  party: string;
  proposed_at: Date;
  verdict: string;
  reasons: string[];
  jurisdiction: string;
  profile_version: number;
  decided_at: Date;
}

export async function listVerdicts(
  db: Db,
  filter: VerdictFilter,
): Promise<{ items: VerdictRow[]; total: number; total_capped: boolean }> {
  const where = [sql`true`];
  if (filter.verdict) where.push(sql`verdict = ${filter.verdict}`);
  if (filter.channel) where.push(sql`channel = ${filter.channel}`);
  if (filter.accountId !== undefined) where.push(sql`account_id = ${filter.accountId}`);
  where.push(...chinaDayRange(sql.ref('decided_at'), filter.from, filter.to));
  const condition = sql.join(where, sql` AND `);
  const rows = await sql<VerdictRow>`
    SELECT id, client_id, account_id, actor, purpose, channel, party, proposed_at, verdict, reasons, jurisdiction,
           profile_version, decided_at
      FROM compliance_verdicts WHERE ${condition}
     ORDER BY id DESC OFFSET ${filter.offset} LIMIT ${filter.limit}`.execute(db);
  return { items: rows.rows, ...(await cappedCount(db, sql`compliance_verdicts`, condition)) };
}

const verdictResponse = z.object({
  id: z.number().int(),
  client_id: z.number().int(),
  account_id: z.number().int(),
  actor: z.string(),
  purpose: z.string(),
  channel: z.string(),
  party: z.string(),
  proposed_at: z.string(),
  verdict: z.enum(['allow', 'deny', 'allow_with_conditions']),
  reasons: z.array(z.string()).describe('reason codes (the web UI says them in plain words)'),
  jurisdiction: z.string(),
  profile_version: z.number().int(),
  decided_at: z.string(),
});

export async function verdictRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;
  app.get(
    '/compliance/verdicts',
    {
      schema: {
        response: documented({
          200: z.object({
            items: z.array(verdictResponse),
            total: z.number().int(),
            total_capped: z.boolean(),
            page: z.number().int(),
            page_size: z.number().int(),
          }),
        }),
        tags: ['compliance'],
        summary:
          "The gate's verdicts, newest first: filter by verdict, channel, account and dates (China time)",
        querystring: z.object({
          verdict: z.enum(['allow', 'deny', 'allow_with_conditions']).optional(),
          channel: z.enum(channels).optional(),
          account_id: idText.optional(),
          from: businessDate.optional(),
          to: businessDate.optional(),
          ...pageQuery,
        }),
      },
      preValidation: requireRoles('compliance', 'admin', 'supervisor'),
    },
    async (request) => {
      const q = request.query;
      const result = await readScoped(db, request, (scoped) =>
        listVerdicts(scoped, {
          ...(q.verdict ? { verdict: q.verdict } : {}),
          ...(q.channel ? { channel: q.channel } : {}),
          ...(q.account_id !== undefined ? { accountId: q.account_id } : {}),
          ...(q.from ? { from: q.from } : {}),
          ...(q.to ? { to: q.to } : {}),
          offset: (q.page - 1) * q.page_size,
          limit: q.page_size,
        }),
      );
      return { ...pageOf(result.items, result.total, q), total_capped: result.total_capped };
    },
  );
}
