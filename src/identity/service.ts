/**
 * People and their credentials: users, teams, sessions, API tokens, login with lock-out, and the
 * principal of a session or token. Every change records an audit event in the same transaction.
 * Times come from a `now` argument (the HTTP plugin injects its clock) so expiry can be tested.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import type { Database } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';
import {
  checkPasswordPolicy,
  generatePassword,
  hashPassword,
  verifyAgainstDummy,
  verifyPassword,
} from './password.ts';
import {
  allClientRoles,
  baseScopes,
  isRole,
  type Locale,
  type Principal,
  type Role,
  scopePattern,
} from './principal.ts';

type Db = Kysely<Database>;

/** Who makes a change, for the audit trail. */
export interface ChangeContext {
  actor: string;
  actorUserId?: bigint | null;
  ip?: string | null;
}

export const maxFailedAttempts = 5;
export const lockout_ms = 15 * 60_000;
export const sessionIdle_ms = 30 * 60_000;
export const sessionAbsolute_ms = 12 * 60 * 60_000;
/** last_seen_at is written at most this often (idle expiry is exact to within it). */
const touchEvery_ms = 30_000;

const usernamePattern = /^[\p{L}\p{N}._@-]{1,64}$/u;

export interface UserView {
  id: bigint;
  username: string;
  display_name: string;
  roles: Role[];
  team_id: bigint | null;
  client_codes: string[] | 'all';
  must_change_password: boolean;
  locale: Locale;
  active: boolean;
  locked_until: string | null;
  approval_limit_minor: bigint | null;
}

interface UserRow {
  id: bigint;
  username: string;
  display_name: string;
  password_hash: string;
  roles: string[];
  team_id: bigint | null;
  active: boolean;
  must_change_password: boolean;
  failed_attempts: number;
  locked_until: Date | null;
  approval_limit_minor: bigint | null;
  locale: Locale;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function validRoles(values: string[]): Role[] {
  const out: Role[] = [];
  for (const value of values) {
    const role = value.trim();
    if (!isRole(role)) {
      throw new HuikuanError(
        'bad_input',
        `"${role}" is not a role: use admin, supervisor, agent, finance, compliance or client.`,
      );
    }
    if (!out.includes(role)) out.push(role);
  }
  if (out.length === 0) throw new HuikuanError('bad_input', 'A user needs at least one role.');
  if (out.includes('client') && out.length > 1) {
    throw new HuikuanError('bad_input', 'A client user cannot also hold staff roles: create two users.');
  }
  return out;
}

async function clientIdsByCode(db: Db, codes: string[]): Promise<bigint[]> {
  const unique = [...new Set(codes.map((c) => c.trim()).filter((c) => c !== ''))];
  if (unique.length === 0) return [];
  const rows = await db.selectFrom('clients').select(['id', 'code']).where('code', 'in', unique).execute();
  const missing = unique.filter((code) => !rows.some((row) => row.code === code));
  if (missing.length > 0) {
    throw new HuikuanError(
      'not_found',
      `No client with code ${missing.map((c) => `"${c}"`).join(', ')}. List clients with "huikuan client list".`,
    );
  }
  return rows.map((row) => row.id);
}

async function teamIdByName(db: Db, name: string): Promise<bigint> {
  const row = await db
    .selectFrom('teams')
    .select('id')
    .where(sql<boolean>`lower(name) = lower(${name})`)
    .executeTakeFirst();
  if (!row)
    throw new HuikuanError('not_found', `No team "${name}". Add it with "huikuan team add --name ${name}".`);
  return row.id;
}

async function teamExists(db: Db, id: bigint): Promise<void> {
  const row = await db.selectFrom('teams').select('id').where('id', '=', id).executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `No team with id ${id}.`);
}

const userColumns = [
  'id',
  'username',
  'display_name',
  'password_hash',
  'roles',
  'team_id',
  'active',
  'must_change_password',
  'failed_attempts',
  'locked_until',
  'approval_limit_minor',
  'locale',
] as const;

async function userRowBy(db: Db, by: { id: bigint } | { username: string }): Promise<UserRow | undefined> {
  let query = db.selectFrom('users').select(userColumns);
  query =
    'id' in by
      ? query.where('id', '=', by.id)
      : query.where(sql<boolean>`lower(username) = lower(${by.username})`);
  return (await query.executeTakeFirst()) as UserRow | undefined;
}

async function requireUser(db: Db, by: { id: bigint } | { username: string }): Promise<UserRow> {
  const row = await userRowBy(db, by);
  if (!row) {
    throw new HuikuanError(
      'not_found',
      'id' in by
        ? `No user with id ${by.id}.`
        : `No user "${by.username}". List users with "huikuan user list".`,
    );
  }
  return row;
}

/** Users as the API and CLI show them (never the hash). */
export async function describeUsers(db: Db, ids?: bigint[]): Promise<UserView[]> {
  if (ids !== undefined && ids.length === 0) return [];
  let query = db
    .selectFrom('users as u')
    .select([
      'u.id',
      'u.username',
      'u.display_name',
      'u.roles',
      'u.team_id',
      'u.must_change_password',
      'u.locale',
      'u.active',
      'u.locked_until',
      'u.approval_limit_minor',
    ])
    .select(
      sql<string[]>`ARRAY(SELECT c.code FROM user_clients uc JOIN clients c ON c.id = uc.client_id
                    WHERE uc.user_id = u.id ORDER BY c.code)`.as('own_codes'),
    )
    .select(
      sql<string[]>`ARRAY(SELECT c.code FROM team_clients tc JOIN clients c ON c.id = tc.client_id
                    WHERE tc.team_id = u.team_id ORDER BY c.code)`.as('team_codes'),
    )
    .orderBy('u.username');
  if (ids !== undefined) query = query.where('u.id', 'in', ids);
  const rows = await query.execute();
  return rows.map((row) => {
    const userRoles = row.roles as Role[];
    return {
      id: row.id,
      username: row.username,
      display_name: row.display_name,
      roles: userRoles,
      team_id: row.team_id,
      client_codes: userRoles.includes('client')
        ? row.own_codes
        : userRoles.some((r) => allClientRoles.includes(r))
          ? 'all'
          : row.team_codes,
      must_change_password: row.must_change_password,
      locale: row.locale,
      active: row.active,
      locked_until: row.locked_until === null ? null : row.locked_until.toISOString(),
      approval_limit_minor: row.approval_limit_minor,
    };
  });
}

export async function describeUser(db: Db, id: bigint): Promise<UserView> {
  const [view] = await describeUsers(db, [id]);
  if (!view) throw new HuikuanError('not_found', `No user with id ${id}.`);
  return view;
}

export interface NewUser {
  username: string;
  displayName: string;
  roles: string[];
  /** A team by name (CLI) or id (API). */
  team?: string | bigint | null;
  clientCodes?: string[];
  /** Absent: a password is generated, returned once, and must be changed at first login. */
  password?: string;
  approvalLimitMinor?: bigint | null;
  locale?: Locale;
}

export async function createUser(
  db: Db,
  input: NewUser,
  context: ChangeContext,
): Promise<{ user: UserView; generatedPassword: string | null }> {
  const username = input.username.trim();
  if (!usernamePattern.test(username)) {
    throw new HuikuanError(
      'bad_input',
      `"${input.username}" is not a valid user name: 1–64 letters, digits, ".", "_", "@" or "-".`,
    );
  }
  const displayName = input.displayName.trim();
  if (displayName === '' || displayName.length > 200) {
    throw new HuikuanError('bad_input', 'The display name must have 1–200 characters.');
  }
  const userRoles = validRoles(input.roles);
  const generated = input.password === undefined ? generatePassword() : null;
  const password = input.password ?? (generated as string);
  checkPasswordPolicy(password, username);
  if (
    input.approvalLimitMinor !== undefined &&
    input.approvalLimitMinor !== null &&
    input.approvalLimitMinor < 0n
  ) {
    throw new HuikuanError('bad_input', 'The approval limit cannot be negative.');
  }
  const passwordHash = await hashPassword(password);
  const id = await db.transaction().execute(async (trx) => {
    if (await userRowBy(trx, { username })) {
      throw new HuikuanError('duplicate', `A user "${username}" already exists.`);
    }
    const clientIds = await clientIdsByCode(trx, input.clientCodes ?? []);
    if (userRoles.includes('client') && clientIds.length === 0) {
      throw new HuikuanError(
        'bad_input',
        'A client user needs its client: pass --client CODE (client_codes).',
      );
    }
    if (!userRoles.includes('client') && clientIds.length > 0) {
      throw new HuikuanError(
        'bad_input',
        'Only client users are tied to clients; staff see clients through their team.',
      );
    }
    let teamId: bigint | null = null;
    if (input.team !== undefined && input.team !== null) {
      if (userRoles.includes('client')) throw new HuikuanError('bad_input', 'A client user has no team.');
      if (typeof input.team === 'bigint') {
        await teamExists(trx, input.team);
        teamId = input.team;
      } else teamId = await teamIdByName(trx, input.team);
    }
    const row = await trx
      .insertInto('users')
      .values({
        username,
        display_name: displayName,
        password_hash: passwordHash,
        roles: userRoles,
        team_id: teamId,
        must_change_password: generated !== null,
        approval_limit_minor: input.approvalLimitMinor ?? null,
        locale: input.locale ?? 'zh-CN',
        created_by: context.actor,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (clientIds.length > 0) {
      await trx
        .insertInto('user_clients')
        .values(clientIds.map((clientId) => ({ user_id: row.id, client_id: clientId })))
        .execute();
    }
    const view = await describeUser(trx, row.id);
    await audit(trx, context, 'user.created', row.id, null, view);
    return row.id;
  });
  return { user: await describeUser(db, id), generatedPassword: generated };
}

async function audit(
  trx: Db,
  context: ChangeContext,
  action: string,
  userId: bigint | null,
  before: unknown,
  after: unknown,
  entityType = 'user',
): Promise<void> {
  await recordAudit(trx, {
    actor: context.actor,
    actorUserId: context.actorUserId ?? null,
    action,
    entityType,
    entityId: userId,
    before,
    after,
    ip: context.ip ?? null,
  });
}

export interface UserPatch {
  displayName?: string;
  roles?: string[];
  team?: string | bigint | null;
  clientCodes?: string[];
  active?: boolean;
  approvalLimitMinor?: bigint | null;
  locale?: Locale;
  unlock?: boolean;
}

export async function updateUser(
  db: Db,
  by: { id: bigint } | { username: string },
  patch: UserPatch,
  context: ChangeContext,
): Promise<UserView> {
  return db.transaction().execute(async (trx) => {
    const row = await requireUser(trx, by);
    const before = await describeUser(trx, row.id);
    const userRoles = patch.roles !== undefined ? validRoles(patch.roles) : (row.roles as Role[]);
    const changes: Record<string, unknown> = {};
    if (patch.displayName !== undefined) {
      const name = patch.displayName.trim();
      if (name === '' || name.length > 200) {
        throw new HuikuanError('bad_input', 'The display name must have 1–200 characters.');
      }
      changes.display_name = name;
    }
    if (patch.roles !== undefined) changes.roles = userRoles;
    if (patch.team !== undefined) {
      if (patch.team === null) changes.team_id = null;
      else if (typeof patch.team === 'bigint') {
        await teamExists(trx, patch.team);
        changes.team_id = patch.team;
      } else changes.team_id = await teamIdByName(trx, patch.team);
    }
    const teamAfter =
      (changes.team_id as bigint | null | undefined) ?? (patch.team === null ? null : row.team_id);
    if (userRoles.includes('client') && teamAfter !== null) {
      throw new HuikuanError('bad_input', 'A client user has no team.');
    }
    if (patch.active !== undefined) changes.active = patch.active;
    if (patch.approvalLimitMinor !== undefined) {
      if (patch.approvalLimitMinor !== null && patch.approvalLimitMinor < 0n) {
        throw new HuikuanError('bad_input', 'The approval limit cannot be negative.');
      }
      changes.approval_limit_minor = patch.approvalLimitMinor;
    }
    if (patch.locale !== undefined) changes.locale = patch.locale;
    if (patch.unlock) {
      changes.locked_until = null;
      changes.failed_attempts = 0;
    }
    if (patch.clientCodes !== undefined) {
      const clientIds = await clientIdsByCode(trx, patch.clientCodes);
      await trx.deleteFrom('user_clients').where('user_id', '=', row.id).execute();
      if (clientIds.length > 0) {
        await trx
          .insertInto('user_clients')
          .values(clientIds.map((clientId) => ({ user_id: row.id, client_id: clientId })))
          .execute();
      }
    }
    const clientCount = await trx
      .selectFrom('user_clients')
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .where('user_id', '=', row.id)
      .executeTakeFirstOrThrow();
    if (userRoles.includes('client') && Number(clientCount.n) === 0) {
      throw new HuikuanError('bad_input', 'A client user needs its client (client_codes).');
    }
    if (!userRoles.includes('client') && Number(clientCount.n) > 0) {
      throw new HuikuanError('bad_input', 'Only client users are tied to clients: clear client_codes first.');
    }
    await trx
      .updateTable('users')
      .set({ ...changes, updated_at: sql`now()` })
      .where('id', '=', row.id)
      .execute();
    if (patch.active === false) await trx.deleteFrom('sessions').where('user_id', '=', row.id).execute();
    const after = await describeUser(trx, row.id);
    const action = patch.unlock
      ? 'user.unlocked'
      : patch.active === false && Object.keys(changes).length === 1
        ? 'user.disabled'
        : patch.active === true && Object.keys(changes).length === 1
          ? 'user.enabled'
          : 'user.changed';
    await audit(trx, context, action, row.id, before, after);
    return after;
  });
}

/** An administrator sets a user's password; without one a password is generated (changed at next login). */
export async function resetPassword(
  db: Db,
  username: string,
  password: string | undefined,
  context: ChangeContext,
): Promise<{ user: UserView; generatedPassword: string | null }> {
  const row = await requireUser(db, { username });
  const generated = password === undefined ? generatePassword() : null;
  const next = password ?? (generated as string);
  checkPasswordPolicy(next, row.username);
  const passwordHash = await hashPassword(next);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({
        password_hash: passwordHash,
        must_change_password: generated !== null,
        failed_attempts: 0,
        locked_until: null,
        password_changed_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', row.id)
      .execute();
    await trx.deleteFrom('sessions').where('user_id', '=', row.id).execute();
    await audit(trx, context, 'user.password_reset', row.id, null, {
      must_change_password: generated !== null,
    });
  });
  return { user: await describeUser(db, row.id), generatedPassword: generated };
}

/** The user changes their own password (the only thing allowed while a change is forced). */
export async function changeOwnPassword(
  db: Db,
  userId: bigint,
  currentPassword: string,
  newPassword: string,
  context: ChangeContext,
  keepSessionHash?: Buffer,
): Promise<void> {
  const row = await requireUser(db, { id: userId });
  if (!(await verifyPassword(row.password_hash, currentPassword))) {
    await audit(db, context, 'user.password_change_failed', row.id, null, {
      reason: 'wrong current password',
    });
    throw new HuikuanError('forbidden', 'The current password is wrong.');
  }
  checkPasswordPolicy(newPassword, row.username);
  if (newPassword === currentPassword) {
    throw new HuikuanError('bad_input', 'The new password must differ from the current one.');
  }
  const passwordHash = await hashPassword(newPassword);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({
        password_hash: passwordHash,
        must_change_password: false,
        password_changed_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', row.id)
      .execute();
    // other sessions of this user end; the one that changed the password goes on
    let others = trx.deleteFrom('sessions').where('user_id', '=', row.id);
    if (keepSessionHash) others = others.where('id_hash', '<>', keepSessionHash);
    await others.execute();
    await audit(trx, context, 'user.password_changed', row.id, null, null);
  });
}

export async function listUsers(db: Db): Promise<UserView[]> {
  return describeUsers(db);
}

// ---------------------------------------------------------------- teams

export interface TeamView {
  id: bigint;
  name: string;
  client_codes: string[];
  members: number;
}

export async function listTeams(db: Db, ids?: bigint[]): Promise<TeamView[]> {
  let query = db
    .selectFrom('teams as t')
    .select(['t.id', 't.name'])
    .select(
      sql<string[]>`ARRAY(SELECT c.code FROM team_clients tc JOIN clients c ON c.id = tc.client_id
                    WHERE tc.team_id = t.id ORDER BY c.code)`.as('client_codes'),
    )
    .select(sql<bigint>`(SELECT count(*) FROM users u WHERE u.team_id = t.id)`.as('members'))
    .orderBy('t.name');
  if (ids !== undefined) query = query.where('t.id', 'in', ids);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    client_codes: row.client_codes,
    members: Number(row.members),
  }));
}

export async function createTeam(
  db: Db,
  input: { name: string; clientCodes?: string[] },
  context: ChangeContext,
): Promise<TeamView> {
  const name = input.name.trim();
  if (name === '' || name.length > 100)
    throw new HuikuanError('bad_input', 'A team name has 1–100 characters.');
  const id = await db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('teams')
      .select('id')
      .where(sql<boolean>`lower(name) = lower(${name})`)
      .executeTakeFirst();
    if (existing) throw new HuikuanError('duplicate', `A team "${name}" already exists.`);
    const clientIds = await clientIdsByCode(trx, input.clientCodes ?? []);
    const row = await trx
      .insertInto('teams')
      .values({ name, created_by: context.actor })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (clientIds.length > 0) {
      await trx
        .insertInto('team_clients')
        .values(clientIds.map((clientId) => ({ team_id: row.id, client_id: clientId })))
        .execute();
    }
    const [view] = await listTeams(trx, [row.id]);
    await audit(trx, context, 'team.created', row.id, null, view, 'team');
    return row.id;
  });
  const [view] = await listTeams(db, [id]);
  return view as TeamView;
}

// ---------------------------------------------------------------- API tokens

export interface TokenView {
  id: bigint;
  user_id: bigint;
  username: string;
  name: string;
  prefix: string;
  scopes: string[];
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

function validScopes(values: string[]): string[] {
  const scopes = [...new Set(values.map((s) => s.trim()).filter((s) => s !== ''))];
  if (scopes.length === 0) {
    throw new HuikuanError('bad_input', `A token needs at least one scope, e.g. ${baseScopes.join(' or ')}.`);
  }
  for (const scope of scopes) {
    if (!scopePattern.test(scope)) {
      throw new HuikuanError(
        'bad_input',
        `"${scope}" is not a scope: use read, write, or AREA:read / AREA:write (lower case).`,
      );
    }
  }
  return scopes;
}

export async function listTokens(db: Db, userId?: bigint): Promise<TokenView[]> {
  let query = db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select([
      't.id',
      't.user_id',
      'u.username',
      't.name',
      't.prefix',
      't.scopes',
      't.expires_at',
      't.revoked_at',
      't.last_used_at',
      't.created_at',
    ])
    .orderBy('t.id');
  if (userId !== undefined) query = query.where('t.user_id', '=', userId);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    user_id: row.user_id,
    username: row.username,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    expires_at: row.expires_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  }));
}

export async function createToken(
  db: Db,
  input: {
    user: { id: bigint } | { username: string };
    name: string;
    scopes: string[];
    expiresAt?: Date | null;
  },
  context: ChangeContext,
): Promise<{ token: TokenView; secret: string }> {
  const name = input.name.trim();
  if (name === '' || name.length > 100)
    throw new HuikuanError('bad_input', 'A token name has 1–100 characters.');
  const scopes = validScopes(input.scopes);
  const secret = `hkt_${randomBytes(32).toString('base64url')}`;
  const id = await db.transaction().execute(async (trx) => {
    const owner = await requireUser(trx, input.user);
    if (!owner.active) throw new HuikuanError('invalid_state', `User "${owner.username}" is disabled.`);
    const row = await trx
      .insertInto('api_tokens')
      .values({
        user_id: owner.id,
        name,
        token_hash: sha256(secret),
        prefix: secret.slice(0, 10),
        scopes,
        expires_at: input.expiresAt ?? null,
        created_by: context.actor,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      actor: context.actor,
      actorUserId: context.actorUserId ?? null,
      action: 'token.created',
      entityType: 'api_token',
      entityId: row.id,
      after: {
        user_id: owner.id,
        username: owner.username,
        name,
        scopes,
        expires_at: input.expiresAt ?? null,
      },
      ip: context.ip ?? null,
    });
    return row.id;
  });
  const token = (await listTokens(db)).find((t) => t.id === id) as TokenView;
  return { token, secret };
}

/** Revokes a token; with `ownerId`, only a token of that user (else not_found). */
export async function revokeToken(
  db: Db,
  id: bigint,
  context: ChangeContext,
  ownerId?: bigint,
): Promise<TokenView> {
  await db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('api_tokens').select(['id', 'user_id', 'revoked_at']).where('id', '=', id);
    if (ownerId !== undefined) query = query.where('user_id', '=', ownerId);
    const row = await query.forUpdate().executeTakeFirst();
    if (!row) throw new HuikuanError('not_found', `No API token with id ${id}.`);
    if (row.revoked_at !== null) return;
    await trx
      .updateTable('api_tokens')
      .set({ revoked_at: sql`now()`, revoked_by: context.actor })
      .where('id', '=', id)
      .execute();
    await recordAudit(trx, {
      actor: context.actor,
      actorUserId: context.actorUserId ?? null,
      action: 'token.revoked',
      entityType: 'api_token',
      entityId: id,
      after: { user_id: row.user_id },
      ip: context.ip ?? null,
    });
  });
  return (await listTokens(db)).find((t) => t.id === id) as TokenView;
}

// ---------------------------------------------------------------- principals, login, sessions

interface PrincipalRow {
  id: bigint;
  username: string;
  display_name: string;
  roles: string[];
  team_id: bigint | null;
  active: boolean;
  must_change_password: boolean;
  locale: Locale;
  approval_limit_minor: bigint | null;
  own_clients: string[];
  team_clients: string[];
}

const principalSelect = sql`u.id, u.username, u.display_name, u.roles, u.team_id, u.active,
  u.must_change_password, u.locale, u.approval_limit_minor,
  ARRAY(SELECT uc.client_id::text FROM user_clients uc WHERE uc.user_id = u.id ORDER BY 1) AS own_clients,
  ARRAY(SELECT tc.client_id::text FROM team_clients tc WHERE tc.team_id = u.team_id ORDER BY 1) AS team_clients`;

function toPrincipal(row: PrincipalRow, via: 'session' | 'token', scopes: string[] | null): Principal {
  const userRoles = row.roles.filter(isRole);
  const clientIds: bigint[] | 'all' = userRoles.includes('client')
    ? row.own_clients.map(BigInt)
    : userRoles.some((r) => allClientRoles.includes(r))
      ? 'all'
      : row.team_clients.map(BigInt);
  return {
    userId: row.id,
    username: row.username,
    displayName: row.display_name,
    roles: userRoles,
    clientIds,
    teamIds: row.team_id === null ? [] : [row.team_id],
    via,
    scopes,
    locale: row.locale,
    approvalLimitMinor: row.approval_limit_minor,
  };
}

export async function principalOfUser(db: Db, userId: bigint, via: 'session' | 'token' = 'session') {
  const result =
    await sql<PrincipalRow>`SELECT ${principalSelect} FROM users u WHERE u.id = ${userId}`.execute(db);
  const row = result.rows[0];
  return row ? toPrincipal(row, via, null) : null;
}

export interface LoginResult {
  /** The cookie value (shown to the browser only). */
  sessionSecret: string;
  csrfToken: string;
  user: UserView;
  expiresAt: Date;
}

const badCredentials = 'Wrong user name or password.';

function lockedMessage(until: Date): string {
  return `This account is locked after ${maxFailedAttempts} failed logins until ${until.toISOString()}; try again later or ask an administrator to unlock it.`;
}

export async function login(
  db: Db,
  input: { username: string; password: string; ip?: string | null; userAgent?: string | null },
  now: Date,
): Promise<LoginResult> {
  const context: ChangeContext = { actor: input.username.slice(0, 64), ip: input.ip ?? null };
  const row = await userRowBy(db, { username: input.username.trim() });
  if (!row) {
    await verifyAgainstDummy(input.password);
    await audit(db, context, 'session.login_failed', null, null, { reason: 'unknown user' }, 'session');
    throw new HuikuanError('unauthenticated', badCredentials);
  }
  const userContext = { ...context, actor: row.username, actorUserId: row.id };
  if (row.locked_until !== null && row.locked_until > now) {
    await audit(db, userContext, 'session.login_refused', row.id, null, { reason: 'locked' }, 'session');
    throw new HuikuanError('forbidden', lockedMessage(row.locked_until));
  }
  const passwordOk = await verifyPassword(row.password_hash, input.password);
  if (!passwordOk || !row.active) {
    if (!passwordOk) {
      const lockUntil = new Date(now.getTime() + lockout_ms);
      const updated = await sql<{ failed_attempts: number; locked: boolean }>`
        UPDATE users SET
          failed_attempts = CASE WHEN failed_attempts + 1 >= ${maxFailedAttempts} THEN 0 ELSE failed_attempts + 1 END,
          locked_until = CASE WHEN failed_attempts + 1 >= ${maxFailedAttempts} THEN ${lockUntil}::timestamptz
                         ELSE locked_until END
        WHERE id = ${row.id}
        RETURNING failed_attempts, (locked_until = ${lockUntil}::timestamptz) AS locked`.execute(db);
      const locked = updated.rows[0]?.locked === true;
      await audit(
        db,
        userContext,
        'session.login_failed',
        row.id,
        null,
        { reason: 'wrong password' },
        'session',
      );
      if (locked) {
        await audit(db, userContext, 'user.locked', row.id, null, { locked_until: lockUntil.toISOString() });
        throw new HuikuanError('forbidden', lockedMessage(lockUntil));
      }
    } else {
      await audit(db, userContext, 'session.login_failed', row.id, null, { reason: 'disabled' }, 'session');
    }
    throw new HuikuanError('unauthenticated', badCredentials);
  }
  const sessionSecret = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + sessionAbsolute_ms);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('users')
      .set({ failed_attempts: 0, locked_until: null })
      .where('id', '=', row.id)
      .execute();
    // this user's sessions that ended without a logout
    await trx
      .deleteFrom('sessions')
      .where('user_id', '=', row.id)
      .where((eb) =>
        eb.or([
          eb('expires_at', '<=', now),
          eb('last_seen_at', '<=', new Date(now.getTime() - sessionIdle_ms)),
        ]),
      )
      .execute();
    await trx
      .insertInto('sessions')
      .values({
        id_hash: sha256(sessionSecret),
        user_id: row.id,
        csrf_token: csrfToken,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
        ip: input.ip ?? null,
        user_agent: input.userAgent?.slice(0, 500) ?? null,
      })
      .execute();
    await audit(trx, userContext, 'session.login', row.id, null, null, 'session');
  });
  return { sessionSecret, csrfToken, user: await describeUser(db, row.id), expiresAt };
}

export interface ResolvedSession {
  principal: Principal;
  csrfToken: string;
  sessionHash: Buffer;
  mustChangePassword: boolean;
}

/** The session of a cookie value, or null when unknown, expired (idle 30 min, absolute 12 h) or disabled. */
export async function resolveSession(db: Db, secret: string, now: Date): Promise<ResolvedSession | null> {
  if (secret.length === 0 || secret.length > 100) return null;
  const idHash = sha256(secret);
  const result = await sql<PrincipalRow & { csrf_token: string; last_seen_at: Date; expires_at: Date }>`
    SELECT ${principalSelect}, s.csrf_token, s.last_seen_at, s.expires_at
      FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id_hash = ${idHash}`.execute(db);
  const row = result.rows[0];
  if (!row) return null;
  const idleExpired = now.getTime() - row.last_seen_at.getTime() >= sessionIdle_ms;
  if (idleExpired || now >= row.expires_at || !row.active) {
    await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    return null;
  }
  if (now.getTime() - row.last_seen_at.getTime() >= touchEvery_ms) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
  }
  return {
    principal: toPrincipal(row, 'session', null),
    csrfToken: row.csrf_token,
    sessionHash: idHash,
    mustChangePassword: row.must_change_password,
  };
}

export async function endSession(db: Db, sessionHash: Buffer, context: ChangeContext): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const removed = await trx
      .deleteFrom('sessions')
      .where('id_hash', '=', sessionHash)
      .returning('user_id')
      .executeTakeFirst();
    if (removed) await audit(trx, context, 'session.logout', removed.user_id, null, null, 'session');
  });
}

/** The principal of a Bearer token, or null when unknown, revoked, expired or its user disabled. */
export async function resolveToken(db: Db, secret: string, now: Date): Promise<Principal | null> {
  if (!secret.startsWith('hkt_') || secret.length > 100) return null;
  const tokenHash = sha256(secret);
  const result = await sql<PrincipalRow & { token_id: bigint; scopes: string[]; last_used_at: Date | null }>`
    SELECT ${principalSelect}, t.id AS token_id, t.scopes, t.last_used_at
      FROM api_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.token_hash = ${tokenHash} AND t.revoked_at IS NULL
       AND (t.expires_at IS NULL OR t.expires_at > ${now}::timestamptz)`.execute(db);
  const row = result.rows[0];
  if (!row?.active) return null;
  if (row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= 60_000) {
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.token_id).execute();
  }
  return toPrincipal(row, 'token', row.scopes);
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
