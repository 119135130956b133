/**
 * The model registry: scorecards stored in the database with their version, owner, what they were
 * trained on and their validation figures. A model is proposed, approved by a second user (never the
 * proposer), then promoted to champion (one per client, or one agency-wide) or challenger (scored
 * beside the champion), and finally retired; promoting a champion retires the one it replaces. Every
 * change is audited in its transaction.
 */
import { sql, type Updateable } from 'kysely';
import { recordAudit } from '../../audit/service.ts';
import type { Db } from '../../db/connection.ts';
import { HuikuanError } from '../../shared/errors.ts';
import { psi } from '../metrics.ts';
import { checkModel } from '../score.ts';
import type { Model } from '../train.ts';
import { availableSources, featureNames } from './features.ts';
import type { ModelStatus, RiskModelsTable, RiskPlatformTables } from './tables.ts';

export type Actor = string | { actor: string; actorUserId?: bigint | null; ip?: string | null };

function actorOf(raw: Actor): { actor: string; actorUserId: bigint | null; ip: string | null } {
  if (typeof raw === 'string') return { actor: raw, actorUserId: null, ip: null };
  return { actor: raw.actor, actorUserId: raw.actorUserId ?? null, ip: raw.ip ?? null };
}

function tables(db: Db) {
  return db.withTables<RiskPlatformTables>();
}

/** The platform's outcome column: a registered model must predict it. */
export const outcomeColumn = 'paid';
const allFeatures = new Set(
  featureNames({ contacts: true, promises: true, plans: true, holds: true, lostContact: true }),
);

export interface ModelView {
  id: bigint;
  name: string;
  version: number;
  client_id: bigint | null;
  status: ModelStatus;
  owner: string;
  note: string | null;
  training: unknown;
  outcome_days: number;
  paid_share: number;
  validation: { auc: number | null; ks: number | null; psi: number | null };
  features: string[];
  proposed_by: string;
  proposed_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  promoted_by: string | null;
  promoted_at: Date | null;
  retired_by: string | null;
  retired_at: Date | null;
}

type Row = RiskPlatformTables['risk_models'] extends infer T ? Record<keyof T, unknown> : never;

function viewOf(row: Row): ModelView {
  const model = row.model as Model;
  return {
    id: row.id as bigint,
    name: row.name as string,
    version: row.version as number,
    client_id: row.client_id as bigint | null,
    status: row.status as ModelStatus,
    owner: row.owner as string,
    note: row.note as string | null,
    training: row.training,
    outcome_days: row.outcome_days as number,
    paid_share: Number(row.paid_share),
    validation: {
      auc: row.validation_auc as number | null,
      ks: row.validation_ks as number | null,
      psi: row.validation_psi as number | null,
    },
    features: model.features.map((feature) => feature.name),
    proposed_by: row.proposed_by as string,
    proposed_at: row.proposed_at as Date,
    approved_by: row.approved_by as string | null,
    approved_at: row.approved_at as Date | null,
    promoted_by: row.promoted_by as string | null,
    promoted_at: row.promoted_at as Date | null,
    retired_by: row.retired_by as string | null,
    retired_at: row.retired_at as Date | null,
  };
}

/** The audit's picture of a model: everything but the scorecard itself. */
function auditView(view: ModelView) {
  const { features: _features, training: _training, ...rest } = view;
  return rest;
}

export interface ProposeInput {
  model: unknown;
  /** the model's name; its version is the next for the name */
  name: string;
  clientId?: bigint | null;
  owner?: string;
  note?: string;
  /** what it was trained on; merged with the model's own data description */
  training?: Record<string, unknown>;
  outcomeDays: number;
  paidShare: number;
}

/** PSI between the training and the validation rows' score bands, from the model's own report. */
export function validationPsi(model: Model): number | null {
  const counts = model.validation.calibration.map((row) => row.rows);
  if (counts.length !== model.bands.train.length) return null;
  const value = psi(model.bands.train, counts);
  return Number.isFinite(value) ? value : null;
}

export async function proposeModel(db: Db, input: ProposeInput, by: Actor): Promise<ModelView> {
  const who = actorOf(by);
  const model = checkModel(input.model, input.name);
  if (model.data.target !== outcomeColumn) {
    throw new HuikuanError(
      'bad_file',
      `The model predicts "${model.data.target}"; the platform scores the outcome "${outcomeColumn}". Train it on \`huikuan model features\` output with --target ${outcomeColumn}.`,
    );
  }
  const unknown = model.features.map((f) => f.name).filter((name) => !allFeatures.has(name));
  if (unknown.length > 0) {
    throw new HuikuanError(
      'bad_file',
      `The model scores with ${unknown.join(', ')}, which the platform does not compute. Train it on \`huikuan model features\` output and exclude account_id.`,
      { unknown },
    );
  }
  // a feature whose source table this database lacks would stop the nightly run's scoring
  const here = new Set(featureNames(await availableSources(db)));
  const absent = model.features.map((f) => f.name).filter((name) => !here.has(name));
  if (absent.length > 0) {
    throw new HuikuanError(
      'bad_file',
      `The model scores with ${absent.join(', ')}, whose tables this database does not have. Train it on this database's \`huikuan model features\` output.`,
      { unknown: absent },
    );
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(input.name)) {
    throw new HuikuanError(
      'bad_input',
      `"${input.name}" is not a model name: letters, digits, _ . - (up to 64, starting with a letter or digit).`,
    );
  }
  if (!Number.isInteger(input.outcomeDays) || input.outcomeDays < 1 || input.outcomeDays > 730) {
    throw new HuikuanError(
      'bad_input',
      `The outcome window must be 1 to 730 days, not ${input.outcomeDays}.`,
    );
  }
  if (!(input.paidShare > 0 && input.paidShare <= 1)) {
    throw new HuikuanError(
      'bad_input',
      `The paid share must be above 0 and at most 1, not ${input.paidShare}.`,
    );
  }
  if (input.note !== undefined && input.note.length > 2000) {
    throw new HuikuanError('bad_input', 'The note is longer than 2,000 characters; shorten it.');
  }
  return db.transaction().execute(async (trx) => {
    // one registration of a name at a time, so versions do not collide
    await sql`SELECT pg_advisory_xact_lock(hashtext('risk_models'), hashtext(${input.name}))`.execute(trx);
    const last = await tables(trx)
      .selectFrom('risk_models')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('name', '=', input.name)
      .executeTakeFirst();
    const row = await tables(trx)
      .insertInto('risk_models')
      .values({
        name: input.name,
        version: (last?.v ?? 0) + 1,
        client_id: input.clientId ?? null,
        model: JSON.stringify(model),
        training: JSON.stringify({ ...model.data, ...(input.training ?? {}) }),
        outcome_days: input.outcomeDays,
        paid_share: input.paidShare,
        validation_auc: model.validation.validation.auc,
        validation_ks: model.validation.validation.ks,
        validation_psi: validationPsi(model),
        owner: input.owner ?? who.actor,
        note: input.note ?? null,
        proposed_by: who.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = viewOf(row as Row);
    await recordAudit(trx, {
      ...who,
      action: 'risk_model.proposed',
      entityType: 'risk_model',
      entityId: view.id,
      clientId: view.client_id,
      after: auditView(view),
    });
    return view;
  });
}

async function lockedModel(trx: Db, id: bigint): Promise<ModelView> {
  const row = await tables(trx)
    .selectFrom('risk_models')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row)
    throw new HuikuanError('not_found', `There is no model ${id}. List them with \`huikuan model list\`.`);
  return viewOf(row as Row);
}

/** Writes a change to a locked model and audits it with its before and after. */
async function changeModel(
  trx: Db,
  before: ModelView,
  set: Updateable<RiskModelsTable>,
  who: ReturnType<typeof actorOf>,
  action: string,
  extra: Record<string, unknown> = {},
): Promise<ModelView> {
  const row = await tables(trx)
    .updateTable('risk_models')
    .set(set)
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const after = viewOf(row as Row);
  await recordAudit(trx, {
    ...who,
    action,
    entityType: 'risk_model',
    entityId: before.id,
    clientId: after.client_id,
    before: auditView(before),
    after: { ...auditView(after), ...extra },
  });
  return after;
}

export async function approveModel(db: Db, id: bigint, by: Actor): Promise<ModelView> {
  const who = actorOf(by);
  return db.transaction().execute(async (trx) => {
    const before = await lockedModel(trx, id);
    if (before.status !== 'proposed') {
      throw new HuikuanError(
        'invalid_state',
        `Model ${id} is ${before.status}; only a proposed model is approved.`,
      );
    }
    if (before.proposed_by === who.actor) {
      throw new HuikuanError(
        'forbidden',
        `${who.actor} proposed model ${id} and cannot approve it too; a second user approves it.`,
      );
    }
    return changeModel(
      trx,
      before,
      { status: 'approved', approved_by: who.actor, approved_at: new Date() },
      who,
      'risk_model.approved',
    );
  });
}

/**
 * Makes an approved model (or a challenger) the champion of its scope — the champion it replaces is
 * retired — or a challenger scored beside the champion.
 */
export async function promoteModel(
  db: Db,
  id: bigint,
  role: 'champion' | 'challenger',
  by: Actor,
): Promise<{ model: ModelView; retired: ModelView | null }> {
  const who = actorOf(by);
  return db.transaction().execute(async (trx) => {
    const before = await lockedModel(trx, id);
    const allowed = role === 'champion' ? ['approved', 'challenger'] : ['approved'];
    if (!allowed.includes(before.status)) {
      throw new HuikuanError(
        'invalid_state',
        `Model ${id} is ${before.status}; a ${role} is promoted from ${allowed.join(' or ')}${before.status === 'proposed' ? ' (a second user approves it first)' : ''}.`,
      );
    }
    let retired: ModelView | null = null;
    if (role === 'champion') {
      const current = await tables(trx)
        .selectFrom('risk_models')
        .select('id')
        .where('status', '=', 'champion')
        .where(sql<boolean>`coalesce(client_id, 0) = ${before.client_id ?? 0n}`)
        .forUpdate()
        .executeTakeFirst();
      if (current) retired = await retire(trx, current.id, who, `replaced by model ${id}`);
    }
    const after = await changeModel(
      trx,
      before,
      { status: role, promoted_by: who.actor, promoted_at: new Date() },
      who,
      `risk_model.${role}`,
    );
    return { model: after, retired };
  });
}

async function retire(
  trx: Db,
  id: bigint,
  who: ReturnType<typeof actorOf>,
  reason: string,
): Promise<ModelView> {
  const before = await lockedModel(trx, id);
  if (before.status === 'retired') {
    throw new HuikuanError('invalid_state', `Model ${id} is retired already.`);
  }
  return changeModel(
    trx,
    before,
    { status: 'retired', retired_by: who.actor, retired_at: new Date() },
    who,
    'risk_model.retired',
    { reason },
  );
}

export async function retireModel(db: Db, id: bigint, by: Actor, reason: string): Promise<ModelView> {
  return db.transaction().execute((trx) => retire(trx, id, actorOf(by), reason));
}

export async function listModels(db: Db, options: { status?: ModelStatus } = {}): Promise<ModelView[]> {
  let query = tables(db).selectFrom('risk_models').selectAll().orderBy('id', 'desc').limit(500);
  if (options.status) query = query.where('status', '=', options.status);
  return (await query.execute()).map((row) => viewOf(row as Row));
}

export async function getModel(db: Db, id: bigint): Promise<{ view: ModelView; model: Model }> {
  const row = await tables(db).selectFrom('risk_models').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row)
    throw new HuikuanError('not_found', `There is no model ${id}. List them with \`huikuan model list\`.`);
  return { view: viewOf(row as Row), model: row.model as Model };
}

export interface ScoringModel {
  id: bigint;
  role: 'champion' | 'challenger';
  model: Model;
}

/**
 * The models that score a client's accounts: its own champion, else the agency-wide one, and the
 * challengers of the same scope.
 */
export async function scoringModels(db: Db, clientId: bigint): Promise<ScoringModel[]> {
  const rows = await tables(db)
    .selectFrom('risk_models')
    .select(['id', 'status', 'client_id', 'model'])
    .where('status', 'in', ['champion', 'challenger'])
    .where((eb) => eb.or([eb('client_id', '=', clientId), eb('client_id', 'is', null)]))
    .orderBy('id')
    .execute();
  const own = rows.some((row) => row.status === 'champion' && row.client_id !== null);
  return rows
    .filter((row) => (own ? row.client_id !== null : row.client_id === null))
    .map((row) => ({ id: row.id, role: row.status as 'champion' | 'challenger', model: row.model as Model }));
}
