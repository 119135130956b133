/**
 * HTTP routes for reports: the supervisor's team board (/api/v1/reports/team-board) and the account
 * list's XLSX export (/api/v1/exports/accounts.xlsx), both inside the caller's client scope.
 */
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { listAccounts } from '../accounts/listing.ts';
import { accountFilterOf, accountFilterQuery } from '../accounts/routes.ts';
import { hasRole, principalOf, readScoped, requireRoles, roles, scopeOf } from '../server/access.ts';
import { auditChange } from '../server/audit.ts';
import { type Api, idText, type ServerDeps } from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { supportedCurrencies } from '../shared/money.ts';
import { buildBoard, monthBounds } from './board.ts';
import { exportRowCap, tooManyRowsMessage } from './exportModel.ts';
import { agentFacts, boardAgents, boardTeams, writeAccountsXlsx } from './service.ts';

const int = z.number().int();
const minor = int.describe('minor units (fen, cents)');
const facts = {
  accounts_in_scope: int.describe("live accounts of the team's clients inside your client scope"),
  accounts_worked: int.describe('accounts with a note or a payment claim by the agent this month'),
  registered_count: int,
  registered_minor: minor,
  verified_count: int.describe('claims finance verified this month'),
  verified_minor: minor,
  pending_count: int.describe('claims waiting for finance (any month)'),
  pending_minor: minor,
};
const teamBoardResponse = z.object({
  month: z.string(),
  from: z.string(),
  until: z.string().describe('the first day of the next month'),
  currency: z.string(),
  teams: z.array(z.object({ id: int, name: z.string(), accounts_in_scope: int })),
  agents: z.array(
    z.object({
      rank: int,
      user_id: int,
      username: z.string(),
      display_name: z.string(),
      team_id: int,
      team_name: z.string(),
      ...facts,
    }),
  ),
  totals: z.object({ agents: int, ...facts }),
});

export async function reportRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;

  app.get(
    '/reports/team-board',
    {
      schema: {
        response: documented({ 200: teamBoardResponse }),
        tags: ['reports'],
        summary:
          "The team board: per agent of the supervisor's teams (an admin: every team), accounts in scope, payments registered, verified this month and pending",
        querystring: z.object({
          month: z
            .string()
            .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM')
            .optional()
            .describe('YYYY-MM; default this month'),
          currency: z.enum(supportedCurrencies as [string, ...string[]]).default('CNY'),
          team: idText.optional().describe('one of the teams in view'),
        }),
      },
      preValidation: requireRoles('supervisor', 'admin'),
    },
    async (request) =>
      readScoped(db, request, async (db) => {
        const principal = principalOf(request);
        const query = request.query;
        const month = query.month ?? todayIn().slice(0, 7);
        const { from, until } = monthBounds(month);
        // a supervisor sees the teams it leads, an admin every team
        const inView: bigint[] | 'all' = hasRole(principal, 'admin') ? 'all' : principal.teamIds;
        let teams = await boardTeams(db, inView, scopeOf(principal));
        if (query.team !== undefined) {
          teams = teams.filter((team) => team.id === query.team);
          if (teams.length === 0) throw new HuikuanError('not_found', `No team ${query.team} in your view.`);
        }
        const agents = await boardAgents(
          db,
          teams.map((team) => team.id),
        );
        const byAgent = await agentFacts(db, {
          usernames: agents.map((agent) => agent.username),
          clientIds: scopeOf(principal),
          from,
          until,
          currency: query.currency,
        });
        const board = buildBoard(agents, teams, byAgent);
        return { month, from, until, currency: query.currency, teams, ...board };
      }),
  );

  app.get(
    '/exports/accounts.xlsx',
    {
      schema: {
        tags: ['reports'],
        summary: `The filtered account list as XLSX (the filters of GET /accounts; at most ${exportRowCap} rows, else 413; ID numbers and phones masked; audited)`,
        produces: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
        querystring: z.object({
          ...accountFilterQuery,
          lang: z.enum(['zh-CN', 'en']).optional().describe("the column titles' language; default yours"),
        }),
      },
      preValidation: requireRoles(...roles),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const query = request.query;
      const { filter, total, clientId } = await readScoped(db, request, async (db) => {
        const filter = { ...(await accountFilterOf(db, principal, query)), today: todayIn() };
        const clientId = filter.clientId;
        const first = await listAccounts(db, { ...filter, offset: 0, limit: 1, exactCount: true });
        if (first.total_capped || first.total > exportRowCap) {
          throw new HuikuanError('limit_exceeded', tooManyRowsMessage(), { cap: exportRowCap });
        }
        return { filter, total: first.total, clientId };
      });
      const { lang, ...filters } = query;
      await auditChange(deps, request, {
        action: 'accounts.exported',
        entityType: 'account_list',
        clientId: clientId ?? null,
        after: { format: 'xlsx', rows: total, filters },
      });
      const out = new PassThrough();
      const language = lang ?? principal.locale;
      readScoped(db, request, (db) =>
        writeAccountsXlsx(db, out, { filter, cap: exportRowCap, language }),
      ).catch((error: unknown) => {
        request.log.error({ err: error }, 'the account export failed while streaming');
        out.destroy(error instanceof Error ? error : new Error(String(error)));
      });
      return reply
        .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', `attachment; filename="accounts-${todayIn()}.xlsx"`)
        .header('cache-control', 'no-store')
        .send(out);
    },
  );
}
