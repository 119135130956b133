/**
 * `huikuan demo`: builds the demo agency of plan.ts through the modules' own services — clients and
 * contracts, teams and users, placement files imported and approved by a second user, six months of
 * payment files, reversals, discounts, settlements, recalls, write-offs and adjustments with their
 * approvals, payment claims — leaves some work waiting, proves the books with checkLedger, and marks
 * the database with an audit event so a second run changes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type pg from 'pg';
import { findLiveAccount } from '../accounts/service.ts';
import { allocateNew, setRule } from '../allocation/service.ts';
import { recordAudit } from '../audit/service.ts';
import { addClient, addContractVersion } from '../clients/service.ts';
import type { Db } from '../db/connection.ts';
import { createTeam, createUser } from '../identity/service.ts';
import {
  agreeSettlement,
  approveProposal,
  discount,
  type PostedOrProposed,
  proposeAdjustment,
  proposeRecall,
  proposeWriteOff,
  rejectProposal,
  remit,
  reverseEntry,
  transferCommission,
} from '../ledger/events.ts';
import { checkLedger } from '../ledger/queries.ts';
import { registerClaim, rejectClaim, verifyClaim } from '../payments/claims.ts';
import { importPayments } from '../payments/service.ts';
import { approveBatch, importPlacements } from '../placements/service.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { decideTemplate, proposeTemplate } from '../templates/service.ts';
import { addCourse, recordCompletion } from '../training/service.ts';
import {
  addDays,
  buildPlan,
  type ClientKey,
  csvLine,
  type DemoPlan,
  demoClients,
  demoPassword,
  demoTeams,
  demoUsers,
  type PlannedAccount,
  paymentFileHeaders,
  paymentRow,
  placementFileHeaders,
  placementRow,
  settlementAgreedMinor,
  settlementApprovedMinor,
  totalOf,
  windowEnd,
  windowStart,
  windows,
} from './plan.ts';
import { demoStrategy } from './strategy.ts';

export const defaultAccounts = 5_000;
export const defaultSeed = 20_260_101;
const minAccounts = 100;
const maxAccounts = 200_000;
const lockKey = [7_303_013, 1] as const;
const system = 'huikuan-demo';

export interface DemoConnection {
  db: Db;
  pool: Pick<pg.Pool, 'connect'>;
}

export interface DemoOptions {
  accounts?: number;
  seed?: number;
  /** Progress messages (the CLI writes them on stderr). */
  progress?: (message: string) => void;
}

export interface DemoLogin {
  username: string;
  password: string;
  role: string;
  display_name: string;
  what: string;
}

export interface DemoResult {
  /** False when the database had the demo already (nothing was changed). */
  created: boolean;
  seed: number | null;
  accounts: number | null;
  clients: string[];
  batches: { approved: number; pending: number };
  payments: { posted: number; direct: number; reversed: number; overpaid_accounts: number };
  proposals: { approved: number; rejected: number; pending: number };
  claims: { verified: number; rejected: number; pending: number };
  seconds: number;
  logins: DemoLogin[];
}

export const demoLogins: DemoLogin[] = demoUsers.map((u) => ({
  username: u.username,
  password: demoPassword,
  role: u.role,
  display_name: u.displayName,
  what: u.what,
}));

export type DemoStatus = 'absent' | 'present' | 'partial';

/** Whether the database holds the demo: all of it (its audit mark), part of it, or none. */
export async function demoStatus(db: Db): Promise<DemoStatus> {
  const found = await db
    .selectFrom('clients')
    .select('code')
    .where(
      'code',
      'in',
      demoClients.map((c) => c.code),
    )
    .execute();
  if (found.length === 0) return 'absent';
  const mark = await db
    .selectFrom('audit_events')
    .select('id')
    .where('entity_type', '=', 'demo')
    .where('action', '=', 'demo.seeded')
    .limit(1)
    .executeTakeFirst();
  return mark ? 'present' : 'partial';
}

/** True on a database with no clients and no users: `huikuan serve` seeds the demo there by default. */
export async function isEmptyDatabase(db: Db): Promise<boolean> {
  const client = await db.selectFrom('clients').select('id').limit(1).executeTakeFirst();
  if (client) return false;
  const user = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  return !user;
}

function emptyResult(created: boolean): DemoResult {
  return {
    created,
    seed: null,
    accounts: null,
    clients: demoClients.map((c) => c.code),
    batches: { approved: 0, pending: 0 },
    payments: { posted: 0, direct: 0, reversed: 0, overpaid_accounts: 0 },
    proposals: { approved: 0, rejected: 0, pending: 0 },
    claims: { verified: 0, rejected: 0, pending: 0 },
    seconds: 0,
    logins: demoLogins,
  };
}

/**
 * Seeds the demo unless the database has it already (then changes nothing and returns
 * `created: false`). Concurrent callers are serialised by an advisory lock.
 */
export async function ensureDemo(connection: DemoConnection, options: DemoOptions = {}): Promise<DemoResult> {
  const accounts = options.accounts ?? defaultAccounts;
  if (!Number.isInteger(accounts) || accounts < minAccounts || accounts > maxAccounts) {
    throw new HuikuanError(
      'bad_usage',
      `--accounts must be a whole number from ${minAccounts} to ${maxAccounts} (got ${accounts}).`,
    );
  }
  const seed = options.seed ?? defaultSeed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new HuikuanError('bad_usage', `--seed must be a whole number from 0 to 4294967295 (got ${seed}).`);
  }
  const lock = await connection.pool.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1, $2)', [...lockKey]);
    const status = await demoStatus(connection.db);
    if (status === 'present') return emptyResult(false);
    if (status === 'partial') {
      throw new HuikuanError(
        'invalid_state',
        `This database holds part of a demo (client ${demoClients.map((c) => c.code).join(', ')} exists but the demo was never completed, perhaps an earlier run stopped). Run the demo on a fresh database (unset DATABASE_URL and point HUIKUAN_HOME at an empty folder, or create a new database).`,
      );
    }
    const taken = await connection.db
      .selectFrom('users')
      .select('username')
      .where(
        'username',
        'in',
        demoUsers.map((u) => u.username),
      )
      .execute();
    if (taken.length > 0) {
      throw new HuikuanError(
        'conflict',
        `The demo's users ${taken.map((u) => `"${u.username}"`).join(', ')} exist already; run the demo on a fresh database.`,
      );
    }
    return await seed_(connection, { accounts, seed, progress: options.progress ?? (() => {}) });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1, $2)', [...lockKey]).catch(() => {});
    lock.release();
  }
}

interface Ids {
  client: Map<ClientKey, bigint>;
  code: Map<ClientKey, string>;
}

async function seed_(
  connection: DemoConnection,
  options: { accounts: number; seed: number; progress: (message: string) => void },
): Promise<DemoResult> {
  const started = performance.now();
  const { db } = connection;
  const today = todayIn();
  const say = (message: string) =>
    options.progress(`${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s  ${message}`);
  const plan = buildPlan({ accounts: options.accounts, seed: options.seed, today });
  const result = emptyResult(true);
  result.seed = options.seed;
  result.accounts = options.accounts;

  // ------------------------------------------------------------ clients and contracts
  const ids: Ids = { client: new Map(), code: new Map() };
  for (const c of demoClients) {
    const { client } = await addClient(
      db,
      { code: c.code, name: c.name, terms: c.terms, effectiveFrom: addDays(today, -c.effectiveDaysAgo) },
      'admin',
    );
    if (c.change) {
      await addContractVersion(
        db,
        c.code,
        c.change.terms,
        addDays(today, -c.change.effectiveDaysAgo),
        'admin',
      );
    }
    ids.client.set(c.key, client.id);
    ids.code.set(c.key, c.code);
  }
  say(`3 clients: ${demoClients.map((c) => `${c.code} ${c.name}`).join(', ')}`);

  // ------------------------------------------------------------ teams and users
  const context = { actor: system };
  for (const team of demoTeams) {
    await createTeam(
      db,
      { name: team.name, clientCodes: team.clients.map((k) => ids.code.get(k) as string) },
      context,
    );
  }
  // one after the other, so that user ids (and the audit trail) are the same on every run
  for (const u of demoUsers) {
    await createUser(
      db,
      {
        username: u.username,
        displayName: u.displayName,
        roles: [u.role],
        team: u.team ?? null,
        clientCodes: u.client ? [ids.code.get(u.client) as string] : [],
        password: demoPassword,
        approvalLimitMinor: u.approvalLimitMinor ?? null,
      },
      context,
    );
  }
  say(`${demoTeams.length} teams, ${demoUsers.length} users (password "${demoPassword}")`);

  const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-demo-'));
  try {
    await placeBatches(connection, plan, dir, result, say);
    await sixMonths(db, plan, ids, dir, result, say);
    await workWaiting(db, plan, ids, result);
    await workspace(db, today, say);
    await demoStrategy(db, say);
    say(
      `work waiting: 1 placement batch, ${result.proposals.pending} proposals in the approvals inbox, ${result.claims.pending} payment claims for finance`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const violations = await checkLedger(db);
  if (violations.length > 0) {
    throw new HuikuanError(
      'invariant_violated',
      `The demo's books fail "huikuan ledger check" with ${violations.length} violation(s); first: ${violations[0]?.message}. This is a bug: please report it.`,
      { violations },
    );
  }
  say('ledger check: no violation');
  // Statistics for the tables the demo just filled: the server is used at once, before autovacuum's
  // next round, and without them the planner takes its thousands of rows for a handful (the measures'
  // statements then nested their loops and ran for minutes instead of milliseconds).
  await sql`ANALYZE`.execute(db);
  result.seconds = Math.round((performance.now() - started) / 100) / 10;
  await recordAudit(db, {
    actor: system,
    action: 'demo.seeded',
    entityType: 'demo',
    after: { seed: options.seed, accounts: options.accounts, today, seconds: result.seconds },
  });
  return result;
}

/**
 * What an agent's morning needs: allocation rules per team and the accounts shared out (so agents
 * find their queues), the annual compliance training required and recorded for every agent (so
 * contact actions are open), and an approved SMS reminder template.
 */
async function workspace(db: Db, today: string, say: (line: string) => void): Promise<void> {
  const teams = await db.selectFrom('teams').select(['id', 'name']).orderBy('id').execute();
  for (const [index, team] of teams.entries()) {
    await setRule(
      db,
      { teamId: team.id, method: index === 0 ? 'balanced_balance' : 'balanced_count', capPerAgent: null },
      'supervisor',
    );
  }
  const shared = await allocateNew(db, 'supervisor');
  await addCourse(
    db,
    { code: 'annual-compliance', title: '年度合规培训（催收行为规范）', validityMonths: 12, required: true },
    'compliance',
  );
  const agents = demoUsers.filter((user) => user.role === 'agent');
  for (const agent of agents) {
    await recordCompletion(
      db,
      { username: agent.username, course: 'annual-compliance', completedOn: addDays(today, -60), score: 90 },
      'compliance',
    );
  }
  const template = await proposeTemplate(
    db,
    {
      code: 'reminder',
      channel: 'sms',
      language: 'zh-CN',
      subject: null,
      body: '{{debtor_name}}您好，您在{{client_name}}的账户{{account_ref}}尚欠{{balance}}，请尽快还款或来电{{agency_phone}}协商。',
      reason: '首次提醒短信',
    },
    'compliance',
  );
  await decideTemplate(db, template.id, 'approve', '措辞合规', 'admin');
  // call scripts for the agent workspace: the default one and the early-arrears segment's, both languages
  const scripts: Array<[string, 'zh-CN' | 'en', string]> = [
    [
      'default',
      'zh-CN',
      '您好，请问是{{debtor_name}}本人吗？我是{{agency_name}}的{{agent_name}}，受{{client_name}}委托，就您账户{{account_ref}}的欠款{{balance}}与您联系。请问您打算什么时候还款？',
    ],
    [
      'default',
      'en',
      'Hello, am I speaking with {{debtor_name}}? This is {{agent_name}} from {{agency_name}}, calling on behalf of {{client_name}} about account {{account_ref}}, which has {{balance}} outstanding. When would you be able to pay?',
    ],
    [
      'm1_early',
      'zh-CN',
      '您好，{{debtor_name}}，我是{{agency_name}}的{{agent_name}}。您在{{client_name}}的账户{{account_ref}}已逾期{{days_past_due}}天，欠款{{balance}}。可能只是忘记了，今天方便还款吗？如有困难，我们可以商量分期。',
    ],
    [
      'm1_early',
      'en',
      'Hello {{debtor_name}}, this is {{agent_name}} from {{agency_name}}. Your {{client_name}} account {{account_ref}} is {{days_past_due}} days overdue with {{balance}} owing. It may simply have been missed — could you pay today? If it is difficult, we can agree a plan.',
    ],
  ];
  for (const [code, language, body] of scripts) {
    const script = await proposeTemplate(
      db,
      { code, channel: 'script', language, subject: null, body, reason: '坐席通话话术' },
      'compliance',
    );
    await decideTemplate(db, script.id, 'approve', '措辞合规', 'admin');
  }
  say(
    `workspace: ${shared.assigned} accounts shared among ${agents.length} agents, training recorded, an SMS template and call scripts approved`,
  );
}

function writeCsv(file: string, headers: readonly string[], rows: string[][]): void {
  writeFileSync(file, [csvLine(headers), ...rows.map(csvLine)].join(''), 'utf8');
}

async function placeBatches(
  connection: DemoConnection,
  plan: DemoPlan,
  dir: string,
  result: DemoResult,
  say: (message: string) => void,
): Promise<void> {
  const ordered = [...plan.batches].sort((a, b) =>
    a.placedOn < b.placedOn ? -1 : a.placedOn > b.placedOn ? 1 : 0,
  );
  let accounts = 0;
  for (const batch of ordered) {
    const client = demoClients.find((c) => c.key === batch.client);
    if (!client) continue;
    const file = path.join(dir, `${client.code}-${batch.placedOn}.csv`);
    writeCsv(
      file,
      placementFileHeaders,
      batch.accounts.map((a) => placementRow(a, client.creditor)),
    );
    const imported = await importPlacements(connection, {
      filePath: file,
      clientCode: client.code,
      batchName: batch.name,
      user: 'finance',
    });
    if (imported.batch_id === null || imported.rejected > 0 || imported.accepted !== batch.accounts.length) {
      throw new HuikuanError(
        'internal',
        `The demo's placement file for ${client.code} was not accepted whole (${imported.accepted} of ${batch.accounts.length} rows; first problem: ${imported.errors[0]?.reason ?? 'none'}). This is a bug: please report it.`,
      );
    }
    if (batch.pending) {
      result.batches.pending += 1;
      say(`batch "${batch.name}": ${batch.accounts.length} accounts imported by finance, awaiting approval`);
      continue;
    }
    await approveBatch(connection.db, imported.batch_id, 'supervisor', { asOf: batch.placedOn });
    result.batches.approved += 1;
    accounts += batch.accounts.length;
    say(
      `batch "${batch.name}": ${batch.accounts.length} accounts imported by finance, approved by supervisor`,
    );
  }
  say(`${accounts} accounts live in ${result.batches.approved} batches`);
}

async function accountOf(db: Db, ids: Ids, a: PlannedAccount) {
  const account = await findLiveAccount(db, ids.client.get(a.client) as bigint, a.ref);
  if (!account) throw new HuikuanError('internal', `The demo's account ${a.ref} is not live.`);
  return account;
}

function balanceOf(account: {
  principalMinor: bigint;
  interestMinor: bigint;
  feesMinor: bigint;
  penaltyMinor: bigint;
}) {
  return account.principalMinor + account.interestMinor + account.feesMinor + account.penaltyMinor;
}

/** Whole yuan: `share` of the balance, rounded down. */
function shareOf(balance: bigint, percent: bigint): bigint {
  return ((balance * percent) / 10_000n) * 100n;
}

function expect(
  outcome: PostedOrProposed,
  status: PostedOrProposed['status'],
  what: string,
): PostedOrProposed {
  if (outcome.status !== status) {
    throw new HuikuanError(
      'internal',
      `The demo's ${what} was ${outcome.status}, not ${status}. This is a bug.`,
    );
  }
  return outcome;
}

function proposalOf(outcome: PostedOrProposed): bigint {
  if (outcome.status !== 'proposed') throw new HuikuanError('internal', 'expected a proposal');
  return outcome.proposalId;
}

async function sixMonths(
  db: Db,
  plan: DemoPlan,
  ids: Ids,
  dir: string,
  result: DemoResult,
  say: (message: string) => void,
): Promise<void> {
  const { today } = plan;
  for (let k = 0; k < windows; k++) {
    let posted = 0;
    for (const client of demoClients) {
      const rows = plan.payments.filter((p) => p.window === k && p.client === client.key);
      if (rows.length === 0) continue;
      const file = path.join(dir, `${client.code}-payments-${windowStart(today, k)}.csv`);
      writeCsv(file, paymentFileHeaders, rows.map(paymentRow));
      const imported = await importPayments(db, {
        filePath: file,
        clientCode: client.code,
        actor: 'finance',
        today,
      });
      if (imported.rejected > 0 || imported.posted !== rows.length) {
        throw new HuikuanError(
          'internal',
          `The demo's payment file for ${client.code} was not posted whole (${imported.posted} of ${rows.length}; first problem: ${imported.errors[0]?.reason ?? 'none'}). This is a bug: please report it.`,
        );
      }
      posted += imported.posted;
      result.payments.posted += imported.posted;
      result.payments.direct += rows.filter((p) => p.channel === 'direct_to_client').length;
    }

    for (const reversal of plan.reversals.filter((r) => r.payment.window === k)) {
      await reverseEntry(db, {
        clientId: ids.client.get(reversal.payment.client) as bigint,
        externalId: reversal.payment.externalId,
        reason: reversal.reason,
        actor: 'finance',
        reversalExternalId: `${reversal.payment.externalId}-R`,
        effectiveDate: reversal.on,
      });
      result.payments.reversed += 1;
    }

    await monthEvents(db, plan, ids, k, result);

    if (k < windows - 1) {
      const through = windowEnd(today, k);
      for (const client of demoClients) {
        const clientId = ids.client.get(client.key) as bigint;
        const day = through.replaceAll('-', '');
        await remit(db, { clientId, through, actor: 'finance', externalId: `REMIT-${day}` });
        await transferCommission(db, { clientId, through, actor: 'finance', externalId: `COMM-${day}` });
      }
    }
    say(
      `month ${k + 1} of 6 (${windowStart(today, k)} – ${windowEnd(today, k)}): ${posted} payments${k < windows - 1 ? ', remitted to the clients' : ''}`,
    );
  }
  // accounts that ended with a credit: paid more than they owed
  const rows = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<bigint>().as('n'))
    .where('overpayment_minor', '>', 0n)
    .where('client_id', 'in', [...ids.client.values()])
    .executeTakeFirstOrThrow();
  result.payments.overpaid_accounts = Number(rows.n);
}

async function monthEvents(db: Db, plan: DemoPlan, ids: Ids, k: number, result: DemoResult): Promise<void> {
  const { today, special } = plan;
  const on = (day: number) => addDays(windowStart(today, k), day);
  const base = async (a: PlannedAccount, actor: string) => {
    const account = await accountOf(db, ids, a);
    return { account, input: { clientId: account.clientId, accountId: account.id, actor } };
  };
  if (k === 1) {
    // a small waiver within the card contract's 10% limit: posted at once
    const d = await base(special.discountPosted, 'agent.wang');
    expect(
      await discount(db, {
        ...d.input,
        amountMinor: shareOf(balanceOf(d.account), 5n),
        reason: '减免部分滞纳金，债务人承诺本月还款',
        effectiveDate: on(8),
      }),
      'posted',
      'discount within the limit',
    );
    // a settlement at 80% of the balance, within the lender's 30% limit: agreed at once, paid in two
    // instalments in the next two months and then closed by the ledger
    const s = await base(special.settlementAgreed, 'agent.zhao');
    expect(
      await agreeSettlement(db, {
        ...s.input,
        amountMinor: BigInt(settlementAgreedMinor(special.settlementAgreed)),
        reason: '债务人失业，协商八折分两期结清',
        effectiveDate: on(10),
      }),
      'agreed',
      'settlement within the limit',
    );
  }
  if (k === 2) {
    // a card settlement at 55%, above the 10% limit: proposed by an agent, approved by the supervisor
    const s = await base(special.settlementApproved, 'agent.li');
    const proposal = proposalOf(
      await agreeSettlement(db, {
        ...s.input,
        amountMinor: BigInt(settlementApprovedMinor(special.settlementApproved)),
        reason: '债务人重病住院，申请五五折一次性结清',
        effectiveDate: on(4),
      }),
    );
    await approveProposal(db, { proposalId: proposal, actor: 'supervisor', reason: '病历已核实，同意' });
    result.proposals.approved += 1;
    // a discount above the lender's limit: rejected
    const r = await base(special.discountRejected, 'agent.zhao');
    const rejected = proposalOf(
      await discount(db, {
        ...r.input,
        amountMinor: shareOf(balanceOf(r.account), 40n),
        reason: '债务人要求减免四成',
        effectiveDate: on(12),
      }),
    );
    await rejectProposal(db, {
      proposalId: rejected,
      actor: 'supervisor',
      reason: '超出客户授权的减免比例，请先与客户沟通',
    });
    result.proposals.rejected += 1;
    // the client corrects a fee it charged twice: an adjustment approved by finance
    const a = await base(special.adjustmentApproved, 'agent.zhao');
    const adjustment = await proposeAdjustment(db, {
      ...a.input,
      amounts: adjustmentOf(a.account),
      reason: '客户核减：重复收取的服务费',
      effectiveDate: on(15),
    });
    await approveProposal(db, { proposalId: adjustment, actor: 'finance', reason: '与客户对账单一致' });
    result.proposals.approved += 1;
  }
  if (k === 3) {
    const r = await base(special.recallApproved, 'agent.zhao');
    const recall = await proposeRecall(db, {
      ...r.input,
      reason: '客户撤案：债务人投诉计费争议，转客户自行处理',
      effectiveDate: on(7),
    });
    await approveProposal(db, { proposalId: recall, actor: 'supervisor' });
    result.proposals.approved += 1;
  }
  if (k === 4) {
    const w = await base(special.writeOffApproved, 'agent.wang');
    const writeOff = await proposeWriteOff(db, {
      ...w.input,
      reason: 'deceased',
      note: '家属提供死亡证明，无遗产可供清偿',
      effectiveDate: on(5),
    });
    await approveProposal(db, { proposalId: writeOff, actor: 'supervisor', reason: '死亡证明已核实' });
    const small = await base(special.writeOffSmall, 'agent.zhao');
    const smallWriteOff = await proposeWriteOff(db, {
      ...small.input,
      reason: 'client_instruction',
      note: '小额欠费，客户指示核销',
      effectiveDate: on(20),
    });
    await approveProposal(db, { proposalId: smallWriteOff, actor: 'finance' });
    result.proposals.approved += 2;
  }
}

function adjustmentOf(account: {
  feesMinor: bigint;
  interestMinor: bigint;
  penaltyMinor: bigint;
  principalMinor: bigint;
}) {
  if (account.feesMinor > 0n) return { fees: account.feesMinor };
  if (account.penaltyMinor > 0n) return { penalty: account.penaltyMinor };
  if (account.interestMinor > 0n) return { interest: account.interestMinor / 2n + 1n };
  return { principal: account.principalMinor / 10n + 1n };
}

async function workWaiting(db: Db, plan: DemoPlan, ids: Ids, result: DemoResult): Promise<void> {
  const { today, special } = plan;
  // payment claims: one verified, one rejected, two waiting for finance
  const claim = async (
    a: PlannedAccount,
    actor: string,
    amountMinor: bigint,
    daysAgo: number,
    channel: 'bank_transfer' | 'alipay' | 'wechat_pay',
    reference: string,
  ) => {
    const account = await accountOf(db, ids, a);
    return registerClaim(db, {
      accountId: account.id,
      amountMinor,
      paidOn: addDays(today, -daysAgo),
      channel,
      reference,
      actor,
      today,
    });
  };
  const verified = await claim(
    special.claimVerified,
    'agent.zhao',
    BigInt(totalOf(special.claimVerified)),
    20,
    'alipay',
    '支付宝转账 全额结清',
  );
  await verifyClaim(db, verified.id, 'finance');
  result.claims.verified += 1;
  const cardHalf = BigInt(Math.round(totalOf(special.claimRejected) / 2 / 10_000) * 10_000 || 10_000);
  const rejected = await claim(
    special.claimRejected,
    'agent.li',
    cardHalf,
    12,
    'bank_transfer',
    '债务人提供转账截图',
  );
  await rejectClaim(db, rejected.id, 'finance', '银行流水中未找到该笔款项，截图金额与账户不符');
  result.claims.rejected += 1;
  await claim(special.claimPendingCard, 'agent.wang', 300_000n, 1, 'bank_transfer', '工行转账 尾号8812');
  await claim(special.claimPendingLoan, 'agent.zhao', 150_000n, 2, 'wechat_pay', '微信转账 备注案件号');
  result.claims.pending += 2;

  // proposals waiting in the approvals inbox
  const base = async (a: PlannedAccount, actor: string) => {
    const account = await accountOf(db, ids, a);
    return { account, input: { clientId: account.clientId, accountId: account.id, actor } };
  };
  const w = await base(special.writeOffPending, 'agent.li');
  await proposeWriteOff(db, { ...w.input, reason: 'bankruptcy', note: '法院已受理个人破产清算申请' });
  const s = await base(special.settlementPending, 'agent.wang');
  expect(
    await agreeSettlement(db, {
      ...s.input,
      amountMinor: shareOf(balanceOf(s.account), 70n),
      reason: '债务人申请七折一次性结清，资金来源为亲属借款',
    }),
    'proposed',
    'settlement above the limit',
  );
  const d = await base(special.discountPending, 'agent.zhao');
  expect(
    await discount(db, {
      ...d.input,
      amountMinor: shareOf(balanceOf(d.account), 35n),
      reason: '债务人低保户，申请减免',
    }),
    'proposed',
    'discount above the limit',
  );
  const a = await base(special.adjustmentPending, 'agent.zhao');
  await proposeAdjustment(db, {
    ...a.input,
    amounts: adjustmentOf(a.account),
    reason: '客户通知：罚息计算有误，按新口径核减',
  });
  const r = await base(special.recallPending, 'agent.zhao');
  await proposeRecall(db, { ...r.input, reason: '客户要求撤回：号码已过户给第三人' });
  result.proposals.pending += 5;
}
