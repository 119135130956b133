/**
 * The compliance console's rule profiles and holds over HTTP (issue 4 points 1 and 8): the three
 * base profiles in force with the pending and recent changes (each with its before → after diff),
 * the effective profile of a client or an account showing what its overrides tightened, proposing
 * a change and deciding it (maker-checker: the proposer never decides their own), and every hold
 * across accounts with filters. product.md: compliance and admins own the rule profiles (propose
 * and decide, any scope); supervisors read them and the holds; client users never see either.
 * The services (service.ts) validate the changes and write the audit events, with the user's id
 * and IP, in their transaction.
 */
import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import { accountClientId } from '../accounts/listing.ts';
import { findClientByCode } from '../clients/service.ts';
import type { Db } from '../db/connection.ts';
import { assertClientAccess, principalOf, readScoped, requireRoles, scopeOf } from '../server/access.ts';
import {
  type Api,
  bodyId,
  businessDate,
  clientCode,
  idParam,
  idText,
  pageOf,
  pageQuery,
  reasonText,
  type ServerDeps,
} from '../server/context.ts';
import { documented } from '../server/responses.ts';
import { HuikuanError } from '../shared/errors.ts';
import { profileJson } from './cli.ts';
import { listAllHolds } from './hold-list.ts';
import { holdSources, holdStatuses, storedHoldKinds } from './holds-model.ts';
import {
  type ChangeMode,
  changeRules,
  defaultProfiles,
  type Jurisdiction,
  jurisdictions,
  type OverrideDocument,
  type Profile,
  type ProfileRules,
} from './profiles.ts';
import { decideProfileChange, effectiveProfile, type ProfileScope, proposeProfileChange } from './service.ts';
import type { ComplianceTables } from './tables.ts';

const readers = ['compliance', 'admin', 'supervisor'] as const;
/** product.md: rule profiles belong to compliance and the admins. */
const owners = ['compliance', 'admin'] as const;

export const profileLimits = {
  /** Pending changes listed (oldest first). */
  pending: 200,
  /** Decided changes listed by default, and at most. */
  recentDefault: 50,
  recentMax: 200,
  /** Rules one change may name, and its size as JSON. */
  changeKeys: 30,
  changeChars: 8000,
};

// ---------------------------------------------------------------- readable rules and diffs

/** The rules as people read them (clock times written out), keyed `contactHours.latest`, `parties.third_party` … */
export function flatRules(rules: ProfileRules): Record<string, unknown> {
  const readable = profileJson({ code: 'CN', version: 0, overrides: [], rules }).rules as Record<
    string,
    unknown
  >;
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(readable)) {
    if (key === 'contactHours' || key === 'parties') {
      for (const [sub, inner] of Object.entries(value as Record<string, unknown>))
        flat[`${key}.${sub}`] = inner;
    } else flat[key] = value;
  }
  return flat;
}

export interface RuleDiff {
  rule: string;
  before: unknown;
  after: unknown;
}

/** The rules that differ, in the profile's order. */
export function diffRules(before: ProfileRules, after: ProfileRules): RuleDiff[] {
  const a = flatRules(before);
  const b = flatRules(after);
  return Object.keys(a)
    .filter((rule) => JSON.stringify(a[rule]) !== JSON.stringify(b[rule]))
    .map((rule) => ({ rule, before: a[rule] ?? null, after: b[rule] ?? null }));
}

// ---------------------------------------------------------------- changes as stored

interface ChangeRow {
  id: bigint;
  jurisdiction: string;
  scope: ProfileScope;
  client_id: bigint | null;
  client_code: string | null;
  account_id: bigint | null;
  account_ref: string | null;
  changes: unknown;
  rules: unknown;
  version: number | null;
  status: 'pending' | 'approved' | 'rejected';
  reason: string;
  proposed_by: string;
  proposed_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
}

function changeQuery(db: Db, scope: bigint[] | 'all') {
  let query = db
    .withTables<ComplianceTables>()
    .selectFrom('compliance_profile_changes as p')
    .leftJoin('clients as c', 'c.id', 'p.client_id')
    .leftJoin('accounts as a', 'a.id', 'p.account_id')
    .select([
      'p.id',
      'p.jurisdiction',
      'p.scope',
      'p.client_id',
      'c.code as client_code',
      'p.account_id',
      'a.client_account_ref as account_ref',
      'p.changes',
      'p.rules',
      'p.version',
      'p.status',
      'p.reason',
      'p.proposed_by',
      'p.proposed_at',
      'p.decided_by',
      'p.decided_at',
      'p.decision_reason',
    ]);
  // base changes are everyone's; an override only its client's users'
  if (scope !== 'all') {
    query = query.where((eb) =>
      eb.or([eb('p.scope', '=', 'base'), eb('p.client_id', 'in', scope.length > 0 ? scope : [-1n])]),
    );
  }
  return query;
}

/**
 * Works out each change's diff: an approved base version against the version before it; anything
 * else against the profile it would change now (an override's parent: the base, or for an account
 * the base with its client's override), with the problem that would stop its approval.
 */
class Differ {
  private parents = new Map<string, Promise<Profile>>();
  private versions = new Map<string, Promise<ProfileRules | null>>();
  constructor(private readonly db: Db) {}

  private parent(row: ChangeRow): Promise<Profile> {
    const clientId = row.scope === 'account' ? row.client_id : null;
    const key = `${row.jurisdiction}:${clientId ?? ''}`;
    let found = this.parents.get(key);
    if (!found) {
      found = effectiveProfile(this.db, row.jurisdiction as Jurisdiction, clientId);
      this.parents.set(key, found);
    }
    return found;
  }

  private baseVersion(jurisdiction: string, version: number): Promise<ProfileRules | null> {
    if (version === 1) return Promise.resolve(defaultProfiles[jurisdiction as Jurisdiction].rules);
    const key = `${jurisdiction}:${version}`;
    let found = this.versions.get(key);
    if (!found) {
      found = this.db
        .withTables<ComplianceTables>()
        .selectFrom('compliance_profile_changes')
        .select('rules')
        .where('jurisdiction', '=', jurisdiction)
        .where('scope', '=', 'base')
        .where('status', '=', 'approved')
        .where('version', '=', version)
        .executeTakeFirst()
        .then((row) => (row?.rules as ProfileRules | null | undefined) ?? null);
      this.versions.set(key, found);
    }
    return found;
  }

  async describe(row: ChangeRow) {
    let diff: RuleDiff[] = [];
    let problem: string | null = null;
    let basis: 'previous_version' | 'in_force' = 'in_force';
    if (row.scope === 'base' && row.status === 'approved' && row.version !== null && row.rules !== null) {
      const before = await this.baseVersion(row.jurisdiction, row.version - 1);
      if (before) {
        basis = 'previous_version';
        diff = diffRules(before, row.rules as ProfileRules);
      }
    }
    if (basis === 'in_force') {
      const parent = await this.parent(row);
      const document = row.changes as OverrideDocument;
      const check = (mode: ChangeMode) => changeRules(parent.rules, document, mode);
      try {
        // the values asked for, even looser ones, so the reader sees what was proposed
        diff = diffRules(parent.rules, check('edit'));
        if (row.status === 'pending' && row.scope !== 'base') check('tighten');
      } catch (error) {
        if (!(error instanceof HuikuanError)) throw error;
        problem = error.message;
      }
    }
    return changeJson(row, diff, basis, problem);
  }
}

function changeJson(
  row: ChangeRow,
  diff: RuleDiff[],
  basis: 'previous_version' | 'in_force',
  problem: string | null,
) {
  return {
    id: row.id,
    jurisdiction: row.jurisdiction,
    scope: row.scope,
    client_id: row.client_id,
    client_code: row.client_code,
    account_id: row.account_id,
    account_ref: row.account_ref,
    changes: row.changes,
    status: row.status,
    version: row.version,
    reason: row.reason,
    proposed_by: row.proposed_by,
    proposed_at: row.proposed_at,
    decided_by: row.decided_by,
    decided_at: row.decided_at,
    decision_reason: row.decision_reason,
    diff,
    diff_basis: basis,
    problem,
  };
}

// ---------------------------------------------------------------- JSON shapes

const int = z.number().int();
const id = int.describe('numeric id');
const instant = z.string().describe('ISO-8601 instant, UTC');
const jurisdiction = z.enum(jurisdictions);

const rulesResponse = z
  .record(z.string(), z.unknown())
  .describe('the rules as people read them: contactHours as HH:MM:SS, caps as numbers or null');

const profileResponse = z.object({
  jurisdiction,
  version: int,
  overrides: z.array(z.string()).describe('what tightened it: "client:ID@VERSION", "account:ID@VERSION"'),
  rules: rulesResponse,
});

const diffResponse = z.object({
  rule: z.string().describe('e.g. contactHours.latest, callsPerDay, parties.third_party'),
  before: z.unknown(),
  after: z.unknown(),
});

const changeResponse = z.object({
  id,
  jurisdiction,
  scope: z.enum(['base', 'client', 'account']),
  client_id: id.nullable(),
  client_code: z.string().nullable(),
  account_id: id.nullable(),
  account_ref: z.string().nullable(),
  changes: z.record(z.string(), z.unknown()).describe('the change document as proposed'),
  status: z.enum(['pending', 'approved', 'rejected']),
  version: int.nullable().describe('the version it became (approved only)'),
  reason: z.string(),
  proposed_by: z.string(),
  proposed_at: instant,
  decided_by: z.string().nullable(),
  decided_at: instant.nullable(),
  decision_reason: z.string().nullable(),
  diff: z.array(diffResponse),
  diff_basis: z
    .enum(['previous_version', 'in_force'])
    .describe(
      'previous_version: an approved base version against the one before; in_force: against the profile it changes now',
    ),
  problem: z
    .string()
    .nullable()
    .describe('why it could not be approved now (it loosens an override, or the profile moved)'),
});

const holdListResponse = z.object({
  id,
  client_id: id,
  client_code: z.string(),
  debtor_id: id,
  account_id: id.nullable().describe('null: every account of the debtor'),
  account_ref: z.string().nullable(),
  link_account_id: id.nullable().describe("the account to open: the hold's, else the debtor's first"),
  contact_point_id: id.nullable(),
  kind: z.enum(storedHoldKinds),
  source: z.enum(holdSources),
  note: z.string().nullable(),
  starts_at: instant,
  ends_at: instant.nullable(),
  recorded_by: z.string(),
  recorded_at: instant,
  lifted_at: instant.nullable(),
  lifted_by: z.string().nullable(),
  lift_reason: z.string().nullable(),
  status: z.enum(holdStatuses),
});

// ---------------------------------------------------------------- request shapes

const changesDocument = z
  .record(z.string().min(1).max(60), z.unknown())
  .refine((value) => Object.keys(value).length > 0, 'name at least one rule')
  .refine(
    (value) => Object.keys(value).length <= profileLimits.changeKeys,
    `at most ${profileLimits.changeKeys} rules`,
  )
  .refine(
    (value) => JSON.stringify(value).length <= profileLimits.changeChars,
    `at most ${profileLimits.changeChars} characters of JSON`,
  )
  .describe('the rules changed, e.g. {"callsPerDay": 2, "contactHours": {"latest": "20:00"}}');

const proposeBody = z
  .object({
    jurisdiction,
    scope: z
      .enum(['base', 'client', 'account'])
      .describe(
        'base: a new version of the profile (may loosen); client, account: an override, tightening only',
      ),
    client: clientCode.optional().describe('scope client: the client'),
    account_id: bodyId.optional().describe('scope account: the account (its client is the account’s)'),
    changes: changesDocument,
    reason: reasonText,
  })
  .superRefine((body, context) => {
    const need = (field: 'client' | 'account_id', wanted: boolean) => {
      if (wanted && body[field] === undefined)
        context.addIssue({ code: 'custom', path: [field], message: `scope ${body.scope} needs ${field}` });
      if (!wanted && body[field] !== undefined)
        context.addIssue({ code: 'custom', path: [field], message: `scope ${body.scope} takes no ${field}` });
    };
    need('client', body.scope === 'client');
    need('account_id', body.scope === 'account');
  });

// ---------------------------------------------------------------- the routes

export async function complianceProfileRoutes(app: Api, deps: ServerDeps): Promise<void> {
  const { db } = deps;
  const tags = ['compliance'];

  async function loadChange(request: FastifyRequest, changeId: bigint) {
    const row = (await changeQuery(db, 'all').where('p.id', '=', changeId).executeTakeFirst()) as
      | ChangeRow
      | undefined;
    if (!row) throw new HuikuanError('not_found', `Profile change ${changeId} does not exist.`);
    if (row.client_id !== null) assertClientAccess(principalOf(request), row.client_id, 'profile change');
    return row;
  }

  app.get(
    '/compliance/profiles',
    {
      schema: {
        response: documented({
          200: z.object({
            profiles: z.array(
              profileResponse.extend({
                approved_by: z.string().nullable().describe('null: compliance.md’s version 1'),
                approved_at: instant.nullable(),
              }),
            ),
            pending: z.array(changeResponse),
            recent: z.array(changeResponse),
          }),
        }),
        tags,
        summary:
          'The base profiles CN, US and UK in force, the pending changes (oldest first) and the recent decided ones, each with its diff',
        querystring: z.object({
          recent: z.coerce
            .number()
            .int()
            .min(1)
            .max(profileLimits.recentMax)
            .default(profileLimits.recentDefault)
            .describe(`decided changes listed, at most ${profileLimits.recentMax}`),
        }),
      },
      preValidation: requireRoles(...readers),
    },
    async (request) => {
      const scope = scopeOf(principalOf(request));
      const approved = await sql<{
        jurisdiction: Jurisdiction;
        decided_by: string;
        decided_at: Date;
      }>`SELECT DISTINCT ON (jurisdiction) jurisdiction, decided_by, decided_at
           FROM compliance_profile_changes
          WHERE scope = 'base' AND status = 'approved'
          ORDER BY jurisdiction, version DESC`.execute(db);
      const byJurisdiction = new Map(approved.rows.map((row) => [row.jurisdiction, row]));
      const profiles = [];
      for (const code of jurisdictions) {
        const last = byJurisdiction.get(code);
        profiles.push({
          ...profileJson(await effectiveProfile(db, code)),
          approved_by: last?.decided_by ?? null,
          approved_at: last?.decided_at ?? null,
        });
      }
      const pendingRows = (await changeQuery(db, scope)
        .where('p.status', '=', 'pending')
        .orderBy('p.id')
        .limit(profileLimits.pending)
        .execute()) as ChangeRow[];
      const recentRows = (await changeQuery(db, scope)
        .where('p.status', '<>', 'pending')
        .orderBy('p.decided_at', 'desc')
        .orderBy('p.id', 'desc')
        .limit(request.query.recent)
        .execute()) as ChangeRow[];
      const differ = new Differ(db);
      const pending = [];
      for (const row of pendingRows) pending.push(await differ.describe(row));
      const recent = [];
      for (const row of recentRows) recent.push(await differ.describe(row));
      return { profiles, pending, recent };
    },
  );

  app.get(
    '/compliance/profiles/:jurisdiction/effective',
    {
      schema: {
        response: documented({
          200: profileResponse.extend({
            client: z.string().nullable(),
            account_id: id.nullable(),
            base_version: int,
            tightened: z
              .array(
                z.object({
                  rule: z.string(),
                  base: z.unknown().describe('the base profile’s value'),
                  value: z.unknown().describe('the value in force for this client or account'),
                  by: z
                    .string()
                    .describe('the override that set it: "client:ID@VERSION" or "account:ID@VERSION"'),
                }),
              )
              .describe('the rules the client’s and the account’s overrides tightened'),
          }),
        }),
        tags,
        summary:
          'The profile the gate uses for a client or an account: the base, then the client’s override, then the account’s, and which values each tightened',
        params: z.object({ jurisdiction }),
        querystring: z.object({
          client: clientCode.optional(),
          account: idText.optional().describe('the account (its client is taken from it)'),
        }),
      },
      preValidation: requireRoles(...readers),
    },
    async (request) => {
      const principal = principalOf(request);
      const code = request.params.jurisdiction;
      const accountId = request.query.account ?? null;
      let clientId: bigint | null = null;
      if (request.query.client !== undefined) {
        clientId = (await findClientByCode(db, request.query.client)).id;
        assertClientAccess(principal, clientId, 'client');
      }
      if (accountId !== null) {
        const owner = await accountClientId(db, accountId);
        assertClientAccess(principal, owner, 'account');
        if (clientId !== null && clientId !== owner) {
          throw new HuikuanError(
            'bad_input',
            `Account ${accountId} is not ${request.query.client}'s; give the account alone.`,
          );
        }
        clientId = owner;
      }
      const base = await effectiveProfile(db, code);
      const withClient = clientId === null ? base : await effectiveProfile(db, code, clientId);
      const final = accountId === null ? withClient : await effectiveProfile(db, code, clientId, accountId);
      const tightened: { rule: string; base: unknown; value: unknown; by: string }[] = [];
      const baseFlat = flatRules(base.rules);
      const steps: [Profile, Profile][] = [
        [base, withClient],
        [withClient, final],
      ];
      for (const [before, after] of steps) {
        const by = after.overrides[after.overrides.length - 1];
        if (by === undefined || after === before) continue;
        for (const change of diffRules(before.rules, after.rules)) {
          const earlier = tightened.findIndex((t) => t.rule === change.rule);
          if (earlier >= 0) tightened.splice(earlier, 1);
          tightened.push({ rule: change.rule, base: baseFlat[change.rule] ?? null, value: change.after, by });
        }
      }
      let clientShown: string | null = request.query.client ?? null;
      if (clientShown === null && clientId !== null) {
        const row = await db
          .selectFrom('clients')
          .select('code')
          .where('id', '=', clientId)
          .executeTakeFirst();
        clientShown = row?.code ?? null;
      }
      return {
        ...profileJson(final),
        client: clientShown,
        account_id: accountId,
        base_version: base.version,
        tightened,
      };
    },
  );

  app.post(
    '/compliance/profile-changes',
    {
      schema: {
        response: documented({ 201: changeResponse }),
        tags,
        summary:
          'Propose a change: a new base version, or a client’s or an account’s override (tightening only). Another user decides it',
        body: proposeBody,
      },
      preValidation: requireRoles(...owners),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      let clientId: bigint | null = null;
      let accountId: bigint | null = null;
      if (body.scope === 'client' && body.client !== undefined) {
        clientId = (await findClientByCode(db, body.client)).id;
        assertClientAccess(principal, clientId, 'client');
      }
      if (body.scope === 'account' && body.account_id !== undefined) {
        accountId = body.account_id;
        assertClientAccess(principal, await accountClientId(db, accountId), 'account');
      }
      const changeId = await proposeProfileChange(
        db,
        {
          jurisdiction: body.jurisdiction,
          scope: body.scope,
          clientId,
          accountId,
          changes: body.changes as OverrideDocument,
          reason: body.reason,
        },
        { actor: principal.username, actorUserId: principal.userId, ip: request.ip ?? null },
      );
      const row = await loadChange(request, changeId);
      return reply.status(201).send(await new Differ(db).describe(row));
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/compliance/profile-changes/:id/${decision}`,
      {
        schema: {
          response: documented({
            200: changeResponse.extend({
              profile: profileResponse
                .nullable()
                .describe('approved: the profile it makes (a base version, or the override applied)'),
            }),
          }),
          tags,
          summary:
            decision === 'approve'
              ? 'Approve a pending change (not its proposer): a base change becomes the next version, used by the gate at once'
              : 'Reject a pending change, saying why (not its proposer)',
          params: idParam,
          body:
            decision === 'approve'
              ? z.object({ reason: z.string().trim().max(2000).optional() })
              : z.object({ reason: reasonText }),
        },
        preValidation: requireRoles(...owners),
      },
      async (request) => {
        const principal = principalOf(request);
        const row = await loadChange(request, request.params.id);
        // the service refuses it too; here with the details the console shows
        if (row.status === 'pending' && row.proposed_by === principal.username) {
          throw new HuikuanError(
            'forbidden',
            `You proposed profile change ${row.id}; another user must ${decision} it (maker-checker).`,
            { rule: 'maker_checker', proposed_by: row.proposed_by },
          );
        }
        const reason = request.body.reason?.trim() || null;
        const result = await decideProfileChange(
          db,
          row.id,
          decision,
          { actor: principal.username, actorUserId: principal.userId, ip: request.ip ?? null },
          reason,
        );
        const decided = await new Differ(db).describe(await loadChange(request, row.id));
        return { ...decided, profile: result.profile ? profileJson(result.profile) : null };
      },
    );
  }

  app.get(
    '/compliance/holds',
    {
      schema: {
        response: documented({
          200: z.object({
            items: z.array(holdListResponse),
            total: int,
            total_capped: z.boolean(),
            page: int,
            page_size: int,
          }),
        }),
        tags,
        summary:
          'Every hold across accounts, newest first: filter by kind, status, client, account (its own and its debtor’s) and the day recorded (China time)',
        querystring: z.object({
          kind: z.enum(storedHoldKinds).optional(),
          status: z.enum(holdStatuses).optional().describe('active (in force), scheduled, ended or lifted'),
          client: clientCode.optional(),
          account: idText.optional(),
          from: businessDate.optional().describe('recorded on or after, China time'),
          to: businessDate.optional().describe('recorded on or before, China time'),
          ...pageQuery,
        }),
      },
      preValidation: requireRoles(...readers),
    },
    async (request) => {
      const q = request.query;
      const principal = principalOf(request);
      let clientId: bigint | undefined;
      if (q.client !== undefined) {
        clientId = (await findClientByCode(db, q.client)).id;
        assertClientAccess(principal, clientId, 'client');
      }
      if (q.account !== undefined) {
        assertClientAccess(principal, await accountClientId(db, q.account), 'account');
      }
      const result = await readScoped(db, request, (scoped) =>
        listAllHolds(scoped, {
          ...(q.kind ? { kind: q.kind } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(clientId !== undefined ? { clientId } : {}),
          ...(q.account !== undefined ? { accountId: q.account } : {}),
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
