import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addClient, contractHistory, listClients } from '../clients/service.ts';
import { roles } from '../identity/principal.ts';
import { listTeams, login } from '../identity/service.ts';
import { checkLedger } from '../ledger/queries.ts';
import { todayIn } from '../shared/dates.ts';
import { trainingStatus } from '../training/service.ts';
import { demoOnServe } from './cli.ts';
import { addDays, buildPlan, demoPassword } from './plan.ts';

let t: TestDatabase;
let first: CliResult;

async function counts(db: TestDatabase['db']) {
  const result = await sql<Record<string, string>>`
    SELECT (SELECT count(*) FROM clients)::text AS clients, (SELECT count(*) FROM contracts)::text AS contracts,
           (SELECT count(*) FROM users)::text AS users, (SELECT count(*) FROM teams)::text AS teams,
           (SELECT count(*) FROM placement_batches)::text AS batches, (SELECT count(*) FROM accounts)::text AS accounts,
           (SELECT count(*) FROM journal_entries)::text AS entries, (SELECT count(*) FROM postings)::text AS postings,
           (SELECT count(*) FROM ledger_proposals)::text AS proposals,
           (SELECT count(*) FROM payment_claims)::text AS claims,
           (SELECT count(*) FROM audit_events)::text AS audit_events`.execute(db);
  return result.rows[0];
}

beforeAll(async () => {
  t = await testDatabase();
  first = await cliFor(t)(['demo', '--accounts', '300', '--json']);
}, 180_000);

afterAll(async () => {
  await t?.drop();
});

describe('huikuan demo --accounts 300', () => {
  it('succeeds and reports the demo logins, one for every role', () => {
    expect(first.code, first.stderr).toBe(0);
    const result = first.json();
    expect(result.created).toBe(true);
    expect(new Set(result.logins.map((l: { role: string }) => l.role))).toEqual(new Set(roles));
    expect(first.stderr).toContain('ledger check: no violation');
  });

  it('creates three clients with different contracts, one changed months ago', async () => {
    const clients = await listClients(t.db);
    expect(clients.map((c) => c.code).sort()).toEqual(['HC-TEL', 'HY-CARD', 'YD-CF']);
    const byCode = new Map(clients.map((c) => [c.code, c.contract]));
    const card = byCode.get('HY-CARD');
    expect(card?.commission.map((b) => b.rateBp)).toEqual([1500, 2500, 3500]);
    expect(card?.netting).toBe(true);
    const loan = byCode.get('YD-CF');
    expect(loan?.waterfall[0]).toBe('principal');
    expect(loan?.discountLimitBp).toBeGreaterThan(0);
    const telecom = clients.find((c) => c.code === 'HC-TEL');
    expect(telecom?.contract.netting).toBe(false);
    const history = await contractHistory(t.db, telecom?.id as bigint);
    expect(history).toHaveLength(2);
    expect(String(history[1]?.effectiveFrom) < todayIn()).toBe(true);
  });

  it('creates users for every role who log in with the demo password, no change forced', async () => {
    for (const l of first.json().logins as { username: string; password: string; role: string }[]) {
      expect(l.password).toBe(demoPassword);
      const session = await login(t.db, { username: l.username, password: l.password }, new Date());
      expect(session.user.roles).toEqual([l.role]);
      expect(session.user.must_change_password).toBe(false);
      if (l.role === 'client') expect(session.user.client_codes).toHaveLength(1);
    }
    const teams = await listTeams(t.db);
    expect(teams).toHaveLength(2);
    expect(teams.every((team) => team.client_codes.length > 0 && team.members > 0)).toBe(true);
  });

  it('places the accounts in several batches per client, one left awaiting approval', async () => {
    const batches = await sql<{ code: string; status: string; n: number }>`
      SELECT c.code, b.status, count(*)::int AS n FROM placement_batches b JOIN clients c ON c.id = b.client_id
       GROUP BY 1, 2 ORDER BY 1, 2`.execute(t.db);
    const approved = batches.rows.filter((r) => r.status === 'approved');
    expect(approved).toHaveLength(3);
    expect(approved.every((r) => r.n >= 2)).toBe(true);
    expect(batches.rows.filter((r) => r.status === 'pending_approval').map((r) => r.n)).toEqual([1]);
    const decided = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM placement_batches WHERE status = 'approved' AND decided_by = proposed_by`.execute(
      t.db,
    );
    expect(decided.rows[0]?.n).toBe(0);
    const accounts = await sql<{ n: number; named: number }>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE d.name ~ '^[\u4e00-\u9fff]{2,6}$')::int AS named
        FROM accounts a JOIN debtors d ON d.id = a.debtor_id`.execute(t.db);
    expect(accounts.rows[0]?.n).toBeGreaterThan(250);
    expect(accounts.rows[0]?.n).toBeLessThan(300);
    expect(accounts.rows[0]?.named).toBe(accounts.rows[0]?.n);
  });

  it('posts six months of payments, in trust and direct, with reversals and overpayments', async () => {
    const today = todayIn();
    const rows = await sql<{ kind: string; n: number; first: string; last: string; months: number }>`
      SELECT kind, count(*)::int AS n, min(effective_date)::text AS first, max(effective_date)::text AS last,
             count(DISTINCT ((${today}::date - effective_date) / 30))::int AS months
        FROM journal_entries GROUP BY kind`.execute(t.db);
    const kind = new Map(rows.rows.map((r) => [r.kind, r]));
    const payments = kind.get('payment');
    expect(payments?.n).toBeGreaterThan(100);
    expect(String(payments?.first) >= addDays(today, -180)).toBe(true);
    expect(String(payments?.last) < today).toBe(true);
    expect(payments?.months).toBe(6);
    expect(kind.get('direct_payment')?.n).toBeGreaterThan(5);
    expect(kind.get('reversal')?.n).toBeGreaterThanOrEqual(3);
    for (const k of ['discount', 'adjustment', 'recall', 'write_off', 'remittance']) {
      expect(kind.get(k)?.n, k).toBeGreaterThan(0);
    }
    const over = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM accounts WHERE overpayment_minor > 0`.execute(t.db);
    expect(over.rows[0]?.n).toBeGreaterThan(0);
    const settled = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM accounts WHERE status = 'settled'`.execute(t.db);
    expect(settled.rows[0]?.n).toBeGreaterThanOrEqual(1);
    // each account was placed (its entry and its batch's approval) before anything was paid on it, so
    // the measures' vintages and days to first payment read a history that could have happened
    const early = await sql<{ n: number; vintages: number }>`
      SELECT count(*) FILTER (WHERE pay.effective_date < placed.effective_date
                                 OR pay.effective_date < (b.decided_at AT TIME ZONE 'Asia/Shanghai')::date)::int AS n,
             count(DISTINCT date_trunc('month', b.decided_at AT TIME ZONE 'Asia/Shanghai'))::int AS vintages
        FROM journal_entries pay
        JOIN journal_entries placed ON placed.account_id = pay.account_id AND placed.kind = 'placement'
        JOIN accounts a ON a.id = pay.account_id JOIN placement_batches b ON b.id = a.batch_id
       WHERE pay.kind IN ('payment', 'direct_payment')`.execute(t.db);
    expect(early.rows[0]?.n).toBe(0);
    expect(early.rows[0]?.vintages).toBeGreaterThanOrEqual(3);
    // the tables it filled have statistics before anyone uses them (reltuples is -1 until ANALYZE)
    const counted = await sql<{ relname: string; reltuples: number }>`
      SELECT relname, reltuples::float8 AS reltuples FROM pg_class
       WHERE relname IN ('accounts', 'journal_entries', 'postings', 'account_events') ORDER BY relname`.execute(
      t.db,
    );
    for (const table of counted.rows) expect(table.reltuples, table.relname).toBeGreaterThan(0);
  });

  it('leaves work waiting: proposals in the approvals inbox and payment claims for finance', async () => {
    const proposals = await sql<{ kind: string; status: string }>`
      SELECT kind, status FROM ledger_proposals`.execute(t.db);
    const pending = proposals.rows.filter((p) => p.status === 'pending').map((p) => p.kind);
    expect(new Set(pending)).toEqual(
      new Set(['discount', 'settlement', 'write_off', 'recall', 'adjustment']),
    );
    expect(proposals.rows.some((p) => p.status === 'approved')).toBe(true);
    expect(proposals.rows.some((p) => p.status === 'rejected')).toBe(true);
    const claims = await sql<{ status: string; n: number }>`
      SELECT status, count(*)::int AS n FROM payment_claims GROUP BY 1 ORDER BY 1`.execute(t.db);
    expect(claims.rows).toEqual([
      { status: 'pending', n: 2 },
      { status: 'rejected', n: 1 },
      { status: 'verified', n: 1 },
    ]);
  });

  it('gives every agent a queue, a current training record and a template to send', async () => {
    const held = await sql<{ agent: string; n: number }>`
      SELECT agent, count(*)::int AS n FROM account_assignments WHERE agent IS NOT NULL GROUP BY agent ORDER BY agent`.execute(
      t.db,
    );
    expect(held.rows.map((row) => row.agent)).toEqual(['agent.li', 'agent.wang', 'agent.zhao']);
    expect(held.rows.every((row) => row.n > 0)).toBe(true);
    for (const username of ['agent.li', 'agent.wang', 'agent.zhao']) {
      expect((await trainingStatus(t.db, username)).current, username).toBe(true);
    }
    const template = await sql<{
      status: string;
    }>`SELECT status FROM message_templates WHERE code = 'reminder'`.execute(t.db);
    expect(template.rows).toEqual([{ status: 'approved' }]);
  });

  it('leaves books that pass the ledger check', async () => {
    expect(await checkLedger(t.db)).toEqual([]);
  });

  it('changes nothing when run again', async () => {
    const before = await counts(t.db);
    const again = await cliFor(t)(['demo', '--accounts', '300', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().created).toBe(false);
    expect(again.json().logins).toHaveLength(10);
    expect(await counts(t.db)).toEqual(before);
    const human = await cliFor(t)(['demo']);
    expect(human.stdout).toContain('has the demo already');
  });
});

describe('huikuan serve and the demo', () => {
  it('prints the logins of a database with the demo and changes nothing; --no-demo prints none', async () => {
    const before = await counts(t.db);
    const printed = await demoOnServe(t, undefined, () => {});
    expect(printed).toContain('agent.wang');
    expect(printed).toContain(demoPassword);
    expect(await demoOnServe(t, false, () => {})).toBe('');
    expect(await counts(t.db)).toEqual(before);
  });

  it('leaves a database with clients of its own alone unless --demo is given', async () => {
    const other = await testDatabase();
    try {
      await addClient(other.db, { code: 'OWN', name: 'Own client' }, 'admin');
      const before = await counts(other.db);
      expect(await demoOnServe(other, undefined, () => {})).toBe('');
      expect(await counts(other.db)).toEqual(before);
    } finally {
      await other.drop();
    }
  });
});

describe('the demo plan', () => {
  it('is the same for the same seed and differs for another', () => {
    const one = buildPlan({ accounts: 400, seed: 7, today: '2026-06-15' });
    const two = buildPlan({ accounts: 400, seed: 7, today: '2026-06-15' });
    const other = buildPlan({ accounts: 400, seed: 8, today: '2026-06-15' });
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(one));
    expect(one.batches.reduce((n, b) => n + b.accounts.length, 0)).toBe(400);
    expect(one.payments.every((p) => p.paidOn < '2026-06-15' && p.paidOn >= '2025-12-17')).toBe(true);
  });
});
