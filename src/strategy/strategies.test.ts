import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { addDays } from '../shared/dates.ts';
import { assignArm } from './document.ts';
import { runStrategy } from './service.ts';
import {
  accountTreatment,
  decideStrategy,
  dryRun,
  listStrategies,
  proposeStrategy,
  StrategyDocumentError,
  treatmentStep,
  versionInForce,
} from './strategies.ts';
import { approvedTemplates, testDocument } from './strategy-fixtures.ts';

const start = '2026-03-01';

class Crash extends Error {}

/** 20 accounts at DPD 1…20 (M1), 5 at DPD 28 (M2 in 3 days), 3 at DPD 200, 2 not yet due. */
async function portfolio(db: TestDatabase['db']) {
  const { clientId } = await createClient(db, 'STRT');
  const accounts = [
    ...Array.from({ length: 20 }, (_, i) => ({ ref: `E${i}`, dpd: i + 1 })),
    ...Array.from({ length: 5 }, (_, i) => ({ ref: `R${i}`, dpd: 28 })),
    ...Array.from({ length: 3 }, (_, i) => ({ ref: `L${i}`, dpd: 200 })),
    ...Array.from({ length: 2 }, (_, i) => ({ ref: `C${i}`, dpd: -3 })),
  ];
  const ids = await placeAccounts(
    db,
    clientId,
    accounts.map((account, i) => ({
      ref: account.ref,
      principal: 50_000n + BigInt(i) * 1000n,
      delinquencyDate: addDays(start, -account.dpd),
    })),
  );
  return { clientId, ids: new Map(accounts.map((account, i) => [account.ref, ids[i] as bigint])) };
}

async function approve(db: TestDatabase['db'], document: unknown = testDocument) {
  const proposed = await proposeStrategy(db, { document, reason: 'first strategy' }, 'alice');
  return decideStrategy(db, proposed.id, 'approve', 'looks right', 'bob');
}

const night = (t: TestDatabase, asOf: string, extra: Partial<Parameters<typeof runStrategy>[1]> = {}) =>
  runStrategy(t.db, { asOf, actor: 'tester', partitionSize: 7, ...extra });

/** What the strategy step writes, by account reference. */
async function treatmentSnapshot(db: TestDatabase['db']) {
  const states = await sql`
    SELECT a.client_account_ref AS ref, v.version, t.segment, t.arm, t.entered_on::text, t.next_step, t.next_due::text
      FROM account_treatments t JOIN accounts a ON a.id = t.account_id JOIN strategy_versions v ON v.id = t.strategy_version_id
     ORDER BY 1`.execute(db);
  const decisions = await sql`
    SELECT a.client_account_ref AS ref, d.run_date::text, d.segment, d.arm, d.action, d.alternatives, d.probability
      FROM strategy_decisions d JOIN accounts a ON a.id = d.account_id ORDER BY 1, 2`.execute(db);
  const actions = await sql`
    SELECT a.client_account_ref AS ref, x.run_date::text, x.segment, x.arm, x.step, x.anchor_date::text, x.kind,
           x.channel, x.template, x.task, x.due_on::text, x.status
      FROM strategy_actions x JOIN accounts a ON a.id = x.account_id ORDER BY 1, 2, 5`.execute(db);
  return { states: states.rows, decisions: decisions.rows, actions: actions.rows };
}

describe('strategy versions', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase();
    await approvedTemplates(t.db);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('refuses a document with problems, listing each with its path, and an unknown template', async () => {
    const broken = structuredClone(testDocument) as typeof testDocument;
    (broken.segments[0]?.arms[1] as { share_bp: number }).share_bp = 1000;
    (broken.segments[1]?.arms[0]?.steps[1] as { template: string }).template = 'no_such_template';
    const error = await proposeStrategy(t.db, { document: broken, reason: 'x' }, 'alice').catch((e) => e);
    expect(error).toBeInstanceOf(StrategyDocumentError);
    expect(error.code).toBe('bad_input');
    // the template is checked once the document is otherwise valid
    expect((error as StrategyDocumentError).problems.map((p) => `${p.severity} ${p.path}`)).toEqual([
      'error segments[0].arms',
      'warning segments[2].conditions',
    ]);
    (broken.segments[0]?.arms[1] as { share_bp: number }).share_bp = 2000;
    const second = await proposeStrategy(t.db, { document: broken, reason: 'x' }, 'alice').catch((e) => e);
    expect((second as StrategyDocumentError).problems).toEqual([
      expect.objectContaining({ path: 'segments[2].conditions', severity: 'warning' }),
      {
        path: 'segments[1].arms[0].steps[1].template',
        severity: 'error',
        code: 'template_unknown',
        params: { channel: 'letter', code: 'no_such_template' },
        message: expect.stringContaining('There is no letter template "no_such_template"'),
      },
    ]);
    expect(await listStrategies(t.db)).toEqual([]);
  });

  it('needs a second person; is decided once; audited', async () => {
    const proposed = await proposeStrategy(t.db, { document: testDocument, reason: 'first' }, 'alice');
    expect(proposed).toMatchObject({ version: 1, status: 'proposed', in_force: false, segments: 3 });
    expect(proposed.warnings).toEqual([
      expect.objectContaining({ path: 'segments[2].conditions', severity: 'warning' }),
    ]);
    await expect(decideStrategy(t.db, proposed.id, 'approve', '', 'alice')).rejects.toMatchObject({
      code: 'forbidden',
    });
    const approved = await decideStrategy(t.db, proposed.id, 'approve', 'fine', 'bob');
    expect(approved).toMatchObject({
      status: 'approved',
      decided_by: 'bob',
      effective_from: null,
      in_force: true,
    });
    await expect(decideStrategy(t.db, proposed.id, 'reject', 'no', 'carol')).rejects.toMatchObject({
      code: 'invalid_state',
    });
    const second = await proposeStrategy(t.db, { document: testDocument, reason: 'again' }, 'bob');
    await expect(decideStrategy(t.db, second.id, 'reject', '', 'alice')).rejects.toMatchObject({
      code: 'bad_input',
    });
    const rejected = await decideStrategy(t.db, second.id, 'reject', 'same as v1', 'alice');
    expect(rejected).toMatchObject({ version: 2, status: 'rejected', effective_from: null, in_force: false });
    const audit = await sql<{ action: string; actor: string }>`
      SELECT action, actor FROM audit_events WHERE entity_type = 'strategy_version' ORDER BY id`.execute(
      t.db,
    );
    expect(audit.rows).toEqual([
      { action: 'strategy.proposed', actor: 'alice' },
      { action: 'strategy.approved', actor: 'bob' },
      { action: 'strategy.proposed', actor: 'bob' },
      { action: 'strategy.rejected', actor: 'alice' },
    ]);
    // the document of a decided version cannot change
    await expect(
      sql`UPDATE strategy_versions SET document = '{}'::jsonb WHERE id = ${proposed.id}`.execute(t.db),
    ).rejects.toThrow(/decided or its document is fixed/);
  });
});

describe('the strategy in the nightly run', () => {
  let t: TestDatabase;
  let ids: Map<string, bigint>;
  let snapshotDay3: Awaited<ReturnType<typeof treatmentSnapshot>>;
  beforeAll(async () => {
    t = await testDatabase();
    await approvedTemplates(t.db);
    ({ ids } = await portfolio(t.db));
    await approve(t.db);
  });
  afterAll(async () => {
    await t?.drop();
  });

  const id = (ref: string) => ids.get(ref) as bigint;

  it('day 0: each live account in its segment and arm, the day-0 steps created, every decision logged', async () => {
    await night(t, start);
    const arms = [
      { code: 'champion', share_bp: 8000 },
      { code: 'firm', share_bp: 2000 },
    ];
    const states = await sql<{ account_id: bigint; segment: string; arm: string; entered_on: string }>`
      SELECT account_id, segment, arm, entered_on::text AS entered_on FROM account_treatments ORDER BY account_id`.execute(
      t.db,
    );
    // 20 M1, 5 at DPD 28 (M1 too), 3 late; the 2 not yet due match no segment
    expect(states.rows).toHaveLength(28);
    for (const row of states.rows) {
      const ref = [...ids].find(([, value]) => value === row.account_id)?.[0] as string;
      const expected = ref.startsWith('L')
        ? { segment: 'late', arm: 'champion' }
        : { segment: 'm1', arm: assignArm(row.account_id, 'm1-2026', arms) };
      expect({ segment: row.segment, arm: row.arm, entered_on: row.entered_on }, ref).toEqual({
        ...expected,
        entered_on: start,
      });
    }
    const firm = states.rows.filter((row) => row.arm === 'firm').length;
    expect(firm).toBeGreaterThan(0);
    expect(firm).toBeLessThan(25);
    const decisions = await sql<{
      arm: string;
      probability: number;
      alternatives: string[];
      action: string;
      n: number;
    }>`
      SELECT arm, probability, alternatives, action, count(*)::int AS n FROM strategy_decisions
       WHERE run_date = ${start}::date GROUP BY 1, 2, 3, 4 ORDER BY 1, 4`.execute(t.db);
    expect(decisions.rows).toEqual([
      { arm: 'champion', probability: 1, alternatives: [], action: 'legal', n: 3 },
      { arm: 'champion', probability: 0.8, alternatives: ['firm'], action: 'sms_d0', n: 25 - firm },
      { arm: 'firm', probability: 0.2, alternatives: ['champion'], action: 'sms_firm', n: firm },
    ]);
    const actions = await sql<{ step: string; kind: string; status: string; due_on: string; n: number }>`
      SELECT step, kind, status, due_on::text AS due_on, count(*)::int AS n FROM strategy_actions GROUP BY 1, 2, 3, 4 ORDER BY 1`.execute(
      t.db,
    );
    expect(actions.rows).toEqual([
      { step: 'legal', kind: 'task', status: 'open', due_on: start, n: 3 },
      { step: 'sms_d0', kind: 'message', status: 'pending', due_on: start, n: 25 - firm },
      { step: 'sms_firm', kind: 'message', status: 'pending', due_on: start, n: firm },
    ]);
    const e0 = await accountTreatment(t.db, id('E0'));
    const champion = e0.treatment?.arm === 'champion';
    expect(e0.treatment).toMatchObject({
      segment: 'm1',
      entered_on: start,
      next_step: champion ? 'email_d3' : 'call_d1',
      next_due: addDays(start, champion ? 3 : 1),
    });
  });

  it('running the step again for the date, or the run, changes nothing', async () => {
    const before = await treatmentSnapshot(t.db);
    const again = await night(t, start);
    expect(again.already_completed).toBe(true);
    const run = await sql<{ id: bigint }>`SELECT id FROM strategy_runs WHERE as_of = ${start}::date`.execute(
      t.db,
    );
    await t.db.transaction().execute(async (trx) => {
      await treatmentStep({
        trx,
        run: { id: run.rows[0]?.id as bigint, as_of: start },
        partition: { client_id: 0n, first_id: 0n, last_id: 0n },
      });
      for (const clientId of (await sql<{ id: bigint }>`SELECT id FROM clients`.execute(trx)).rows) {
        await treatmentStep({
          trx,
          run: { id: run.rows[0]?.id as bigint, as_of: start },
          partition: { client_id: clientId.id, first_id: 0n, last_id: 9_000_000_000_000_000_000n },
        });
      }
    });
    expect(await treatmentSnapshot(t.db)).toEqual(before);
  });

  it('steps fire on their day; an account rolling to M2 enters its new segment that day', async () => {
    for (let d = 1; d <= 3; d++) await night(t, addDays(start, d));
    snapshotDay3 = await treatmentSnapshot(t.db);
    const byStep = await sql<{ step: string; run_date: string; due_on: string; n: number }>`
      SELECT step, run_date::text AS run_date, due_on::text AS due_on, count(*)::int AS n FROM strategy_actions
       WHERE run_date > ${start}::date GROUP BY 1, 2, 3 ORDER BY 2, 1`.execute(t.db);
    const steps = byStep.rows.map((row) => `${row.run_date} ${row.step}`);
    // day 1: the challenger's call; day 3 (DPD 31 for the R accounts): their M2 call and … the champions' e-mail
    expect(steps).toContain(`${addDays(start, 1)} call_d1`);
    expect(steps).toContain(`${addDays(start, 3)} email_d3`);
    expect(steps).toContain(`${addDays(start, 3)} call_d0`);
    for (const row of byStep.rows) expect(row.due_on).toBe(row.run_date);
    // nothing on day 2
    expect(byStep.rows.filter((row) => row.run_date === addDays(start, 2))).toEqual([]);
    const r0 = await accountTreatment(t.db, id('R0'));
    expect(r0.treatment).toMatchObject({
      segment: 'm2_m3',
      arm: 'champion',
      entered_on: addDays(start, 3),
      next_step: 'letter_d2',
      next_due: addDays(start, 5),
    });
    expect(r0.decisions.map((d) => `${d.run_date} ${d.segment} ${d.action}`)).toEqual([
      `${addDays(start, 3)} m2_m3 call_d0`,
      `${addDays(start, 2)} m1 wait`,
      `${addDays(start, 1)} m1 ${r0.decisions[2]?.arm === 'firm' ? 'call_d1' : 'wait'}`,
      `${start} m1 ${r0.decisions[3]?.arm === 'firm' ? 'sms_firm' : 'sms_d0'}`,
    ]);
    expect(r0.path.map((step) => [step.code, step.taken])).toEqual([
      ['call_d0', true],
      ['letter_d2', false],
      ['after_break', false],
    ]);
  });

  it('a new approved version governs from the next run and rewrites nothing before it', async () => {
    const changed = structuredClone(testDocument) as typeof testDocument;
    (changed.segments[2]?.arms[0]?.steps[0] as { task: string }).task = 'field_visit';
    (changed.segments[2]?.arms[0]?.steps[0] as { code: string }).code = 'visit';
    const v2 = await approve(t.db, changed);
    expect(v2.effective_from).toBe(addDays(start, 4));
    await night(t, addDays(start, 4));
    const versions = await sql<{ run_date: string; version: number; n: number }>`
      SELECT d.run_date::text AS run_date, v.version, count(*)::int AS n
        FROM strategy_decisions d JOIN strategy_versions v ON v.id = d.strategy_version_id
       GROUP BY 1, 2 ORDER BY 1`.execute(t.db);
    expect(versions.rows.map((row) => `${row.run_date} v${row.version}`)).toEqual([
      `${start} v1`,
      `${addDays(start, 1)} v1`,
      `${addDays(start, 2)} v1`,
      `${addDays(start, 3)} v1`,
      `${addDays(start, 4)} v2`,
    ]);
    // the late accounts stay in their segment: the entry (and the legal review taken) stand; no visit
    const l0 = await accountTreatment(t.db, id('L0'));
    expect(l0.treatment).toMatchObject({ version: 2, segment: 'late', entered_on: start });
    expect(l0.actions.map((action) => action.step)).toEqual(['legal']);
    const before = await treatmentSnapshot(t.db);
    expect(
      before.decisions.filter((row) => (row as { run_date: string }).run_date <= addDays(start, 3)),
    ).toEqual(snapshotDay3.decisions);
  });

  it('a broken promise anchors its step', async () => {
    const account = id('R1');
    await sql`
      INSERT INTO promises (client_id, account_id, amount_minor, currency, balance_minor, promised_on, due_on,
                            grace_days, status, broken_at, final, taken_by)
      SELECT client_id, id, 1000, currency, 50000, ${addDays(start, 3)}::date, ${addDays(start, 4)}::date, 0,
             'broken', ${addDays(start, 4)}::date, true, 'agent'
        FROM accounts WHERE id = ${account}`.execute(t.db);
    await night(t, addDays(start, 5));
    const r1 = await accountTreatment(t.db, account);
    expect(
      r1.actions
        .filter((action) => action.segment === 'm2_m3')
        .map(
          (action) =>
            `${action.step} ${action.anchor} ${action.anchor_date} ${action.due_on} ${action.status}`,
        )
        .sort(),
    ).toEqual([
      `after_break promise_broken ${addDays(start, 4)} ${addDays(start, 5)} open`,
      `call_d0 entry ${addDays(start, 3)} ${addDays(start, 3)} open`,
      `letter_d2 entry ${addDays(start, 3)} ${addDays(start, 5)} pending`,
    ]);
    expect(r1.decisions[0]).toMatchObject({ run_date: addDays(start, 5), action: 'after_break,letter_d2' });
  });

  it('the dry run counts accounts per segment and arm and what falls due, writing nothing', async () => {
    const before = await treatmentSnapshot(t.db);
    const day7 = addDays(start, 7);
    const result = await dryRun(t.db, testDocument, day7);
    expect(await treatmentSnapshot(t.db)).toEqual(before);
    const states = await sql<{ segment: string; arm: string; entered_on: string; n: number }>`
      SELECT segment, arm, entered_on::text AS entered_on, count(*)::int AS n FROM account_treatments GROUP BY 1, 2, 3`.execute(
      t.db,
    );
    const count = (segment: string, arm: string) =>
      states.rows
        .filter((row) => row.segment === segment && row.arm === arm)
        .reduce((sum, row) => sum + row.n, 0);
    expect(result.accounts).toBe(30);
    // on day 7 nobody changes segment: E at DPD 8…27 and C at 4 (M1), R at 35 (M2), L late
    expect(result.segments).toEqual([
      { segment: 'm1', arm: 'champion', accounts: count('m1', 'champion') },
      { segment: 'm1', arm: 'firm', accounts: count('m1', 'firm') },
      { segment: 'm2_m3', arm: 'champion', accounts: 5 },
      { segment: 'late', arm: 'champion', accounts: 3 },
    ]);
    expect(count('m1', 'champion') + count('m1', 'firm')).toBe(22);
    expect(result.unsegmented).toBe(0);
    // what falls due on day 7: the entry steps whose day it is, from each account's entry date
    const expected = new Map<string, number>();
    for (const row of states.rows) {
      const arm = testDocument.segments
        .find((segment) => segment.code === row.segment)
        ?.arms.find((item) => item.code === row.arm);
      for (const step of arm?.steps ?? []) {
        if ((step as { from?: string }).from === undefined && addDays(row.entered_on, step.day) === day7) {
          expected.set(step.code, (expected.get(step.code) ?? 0) + row.n);
        }
      }
    }
    expect(Object.fromEntries(result.tomorrow.map((row) => [row.step, row.accounts]))).toEqual(
      Object.fromEntries(expected),
    );
  });

  it('a dry run of renamed segments has every account entering: the day-0 steps for each', async () => {
    const renamed = structuredClone(testDocument) as typeof testDocument;
    for (const segment of renamed.segments) segment.code = `${segment.code}_new`;
    const result = await dryRun(t.db, renamed, addDays(start, 7));
    const inArm = (segment: string, arm: string) =>
      result.segments.find((row) => row.segment === segment && row.arm === arm)?.accounts ?? 0;
    expect(result.tomorrow).toEqual([
      expect.objectContaining({
        step: 'sms_d0',
        channel: 'sms',
        template: 'gentle',
        accounts: inArm('m1_new', 'champion'),
      }),
      expect.objectContaining({
        step: 'sms_firm',
        channel: 'sms',
        template: 'firm',
        accounts: inArm('m1_new', 'firm'),
      }),
      expect.objectContaining({ step: 'call_d0', kind: 'task', task: 'call', accounts: 5 }),
      expect.objectContaining({ step: 'legal', kind: 'task', task: 'legal_review', accounts: 3 }),
    ]);
    await expect(dryRun(t.db, { name: 'x', segments: [] })).rejects.toBeInstanceOf(StrategyDocumentError);
  });
});

describe('stored documents in two databases', () => {
  let first: TestDatabase;
  let second: TestDatabase;
  beforeAll(async () => {
    [first, second] = await Promise.all([testDatabase(), testDatabase()]);
    for (const t of [first, second]) await approvedTemplates(t.db);
  });
  afterAll(async () => {
    await first?.drop();
    await second?.drop();
  });

  it('each database reads its own document for the same version id (the parse cache is not keyed by id)', async () => {
    await approve(first.db, { ...testDocument, name: 'First database' });
    await approve(second.db, { ...testDocument, name: 'Second database' });
    const [inFirst, inSecond] = [
      await versionInForce(first.db, start),
      await versionInForce(second.db, start),
    ];
    // both fresh copies of the template: the same id, 1, for different documents
    expect(inFirst?.id).toBe(inSecond?.id);
    expect(inFirst?.document.name).toBe('First database');
    expect(inSecond?.document.name).toBe('Second database');
    // and again, now that both are cached
    expect((await versionInForce(first.db, start))?.document.name).toBe('First database');
    expect((await versionInForce(second.db, start))?.document.name).toBe('Second database');
  });
});

describe('crash and resume', () => {
  let clean: TestDatabase;
  let crashed: TestDatabase;
  beforeAll(async () => {
    [clean, crashed] = await Promise.all([testDatabase(), testDatabase()]);
    for (const t of [clean, crashed]) {
      await approvedTemplates(t.db);
      await portfolio(t.db);
      await approve(t.db);
    }
  });
  afterAll(async () => {
    await clean?.drop();
    await crashed?.drop();
  });

  it('a run killed half-way and run again gives the same rows as one clean run', async () => {
    for (let d = 0; d < 4; d++) await night(clean, addDays(start, d));
    for (let d = 0; d < 4; d++) {
      let partitions = 0;
      await expect(
        night(crashed, addDays(start, d), {
          hooks: {
            beforeCommit: () => {
              if (++partitions === 3) throw new Crash('killed');
            },
          },
        }),
      ).rejects.toThrow(Crash);
      await night(crashed, addDays(start, d));
    }
    const a = await treatmentSnapshot(clean.db);
    const b = await treatmentSnapshot(crashed.db);
    expect(a.decisions.length).toBe(4 * 28);
    expect(b).toEqual(a);
  });
});
