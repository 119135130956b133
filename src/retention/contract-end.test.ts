/**
 * Retention when a client contract ends: ends_on versioned like the other terms (service, CLI); the
 * client's recalled or closed debtors due 30 days after the last day, with the reason in the queue;
 * a legal hold still stops it; the books stay balanced. And the weekly schedule: the environment's
 * cron, and the pg-boss job that runs it.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlacedAccounts } from '../../bench/seed.ts';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { piiCipher } from '../accounts/pii.ts';
import { addClient, addContractVersion, contractHistory, findClientByCode } from '../clients/service.ts';
import { checkLedger } from '../ledger/queries.ts';
import { addDays, todayIn } from '../shared/dates.ts';
import {
  enqueueRetentionRun,
  type RetentionJobs,
  type RetentionRunResult,
  startRetentionJobs,
} from './jobs.ts';
import { defaultRetentionCron, retentionQueueName, retentionScheduleFromEnv } from './schedule.ts';
import {
  anonymisedName,
  placeLegalHold,
  postContractDays,
  releaseLegalHold,
  retentionQueue,
  runRetention,
} from './service.ts';

let t: TestDatabase;
const today = todayIn();
const ends = addDays(today, -40);

beforeAll(async () => {
  t = await testDatabase();
  for (const code of ['END', 'GOES']) {
    const { client } = await addClient(
      t.db,
      { code, name: code, terms: { jurisdiction: 'CN' }, effectiveFrom: '2020-01-01' },
      'setup',
    );
    await seedPlacedAccounts(t.db, {
      clientId: client.id,
      count: 2,
      refPrefix: code,
      seed: 7,
      debtors: { pool: t.pool, cipher: piiCipher(), today },
    });
  }
  // END's accounts: one recalled, one still active; GOES's: both closed
  await sql`UPDATE accounts SET status = 'recalled', closed_at = now() WHERE client_account_ref = 'END000000001'`.execute(
    t.db,
  );
  await sql`UPDATE accounts SET status = 'written_off', closed_at = now() WHERE client_account_ref LIKE 'GOES%'`.execute(
    t.db,
  );
});

afterAll(async () => {
  await t?.drop();
});

describe('a contract that ends', () => {
  it('carries its last day through versions, settable and clearable, never before the version starts', async () => {
    const v2 = await addContractVersion(t.db, 'END', { endsOn: ends }, '2021-01-01', 'admin');
    expect(v2).toMatchObject({ version: 2, endsOn: ends });
    const v3 = await addContractVersion(t.db, 'END', { netting: false }, '2022-01-01', 'admin');
    expect(v3).toMatchObject({ version: 3, endsOn: ends, netting: false });
    await expect(
      addContractVersion(t.db, 'END', { endsOn: '2022-06-30' }, '2023-01-01', 'admin'),
    ).rejects.toMatchObject({
      code: 'bad_usage',
      message: expect.stringMatching(/before the version's effective date/),
    });
    const cli = cliFor(t);
    const set = await cli([
      'client',
      'contract',
      'GOES',
      '--ends',
      ends,
      '--effective',
      '2021-01-01',
      '--user',
      'admin',
      '--json',
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.json().contract).toMatchObject({ version: 2, ends_on: ends });
    const cleared = await cli([
      'client',
      'contract',
      'GOES',
      '--ends',
      'none',
      '--effective',
      '2022-01-01',
      '--user',
      'admin',
      '--json',
    ]);
    expect(cleared.json().contract).toMatchObject({ version: 3, ends_on: null });
    const again = await cli([
      'client',
      'contract',
      'GOES',
      '--ends',
      ends,
      '--effective',
      '2023-01-01',
      '--user',
      'admin',
      '--json',
    ]);
    expect(again.json().contract).toMatchObject({ version: 4, ends_on: ends });
    const bad = await cli(['client', 'contract', 'GOES', '--ends', '31/12/2026', '--user', 'admin']);
    expect(bad.code).toBe(2);
    const history = await contractHistory(t.db, (await findClientByCode(t.db, 'GOES')).id);
    expect(history.map((c) => c.endsOn)).toEqual([null, ends, null, ends]);
  });

  it('queues the closed debtors 30 days after the last day with the reason; active ones stay; a legal hold stops it', async () => {
    const goes = await findClientByCode(t.db, 'GOES');
    const end = await findClientByCode(t.db, 'END');
    // the last day + 30: not yet; + 31: due
    expect(await retentionQueue(t.db, addDays(ends, postContractDays))).toEqual([]);
    const due = await retentionQueue(t.db, addDays(ends, postContractDays + 1));
    // END: the recalled account's debtor is due, the active one's is not (each account its own debtor)
    const endAccounts = await t.db
      .selectFrom('accounts')
      .select(['debtor_id', 'status'])
      .where('client_id', '=', end.id)
      .execute();
    const recalled = endAccounts.find((row) => row.status === 'recalled')?.debtor_id;
    const active = endAccounts.find((row) => row.status === 'active')?.debtor_id;
    expect(
      due
        .map((item) => [
          item.client_id === goes.id ? 'GOES' : item.debtor_id === recalled ? 'END recalled' : 'other',
          item.reason,
          item.contract_ended_on,
        ])
        .sort(),
    ).toEqual([
      ['END recalled', 'contract_ended', ends],
      ['GOES', 'contract_ended', ends],
      ['GOES', 'contract_ended', ends],
    ]);
    expect(due.map((item) => item.debtor_id)).not.toContain(active);

    const hold = await placeLegalHold(
      t.db,
      { clientId: goes.id, reason: '(2026)沪0101民初456号' },
      'compliance.li',
    );
    expect((await retentionQueue(t.db, today)).filter((item) => item.client_id === goes.id)).toEqual([]);
    await releaseLegalHold(t.db, hold.id, 'case closed', 'compliance.li');
  });

  it('anonymises them with the reason recorded, the books balanced and the balances as they were', async () => {
    const balances =
      await sql`SELECT id, principal_minor, interest_minor, fees_minor FROM accounts ORDER BY id`.execute(
        t.db,
      );
    const result = await runRetention(t.db, { asOf: today, actor: 'compliance.li' });
    expect(result.anonymised).toBe(3);
    const rows = await sql<{ reason: string; contract_ended_on: string | null }>`
      SELECT reason, to_char(contract_ended_on, 'YYYY-MM-DD') AS contract_ended_on FROM retention_anonymised ORDER BY debtor_id`.execute(
      t.db,
    );
    expect(rows.rows).toEqual([
      { reason: 'contract_ended', contract_ended_on: ends },
      { reason: 'contract_ended', contract_ended_on: ends },
      { reason: 'contract_ended', contract_ended_on: ends },
    ]);
    const names = await sql<{ name: string; status: string }>`
      SELECT d.name, a.status FROM debtors d JOIN accounts a ON a.debtor_id = d.id ORDER BY a.id`.execute(
      t.db,
    );
    expect(
      names.rows
        .filter((row) => row.name === anonymisedName)
        .map((row) => row.status)
        .sort(),
    ).toEqual(['recalled', 'written_off', 'written_off']);
    expect(names.rows.find((row) => row.status === 'active')?.name).not.toBe(anonymisedName);
    expect(await checkLedger(t.db)).toEqual([]);
    expect(
      (
        await sql`SELECT id, principal_minor, interest_minor, fees_minor FROM accounts ORDER BY id`.execute(
          t.db,
        )
      ).rows,
    ).toEqual(balances.rows);
    const queue = await cliFor(t)(['retention', 'queue', '--json']);
    expect(queue.json().items).toEqual([]);
  });
});

describe('the weekly schedule', () => {
  it.each<[Record<string, string>, { cron: string | null; timeZone: string } | RegExp]>([
    [{}, { cron: defaultRetentionCron, timeZone: 'Asia/Shanghai' }],
    [{ HUIKUAN_RETENTION_CRON: 'off' }, { cron: null, timeZone: 'Asia/Shanghai' }],
    [
      { HUIKUAN_RETENTION_CRON: '30 2 * * 1', HUIKUAN_RETENTION_TZ: 'Europe/London' },
      { cron: '30 2 * * 1', timeZone: 'Europe/London' },
    ],
    [{ HUIKUAN_RETENTION_CRON: 'weekly' }, /not a cron expression/],
    [{ HUIKUAN_RETENTION_CRON: '0 3 * *' }, /five fields/],
    [{ HUIKUAN_RETENTION_TZ: 'Mars/Olympus' }, /not an IANA time zone/],
  ])('%j', (env, expected) => {
    if (expected instanceof RegExp) {
      expect(() => retentionScheduleFromEnv(env)).toThrow(expected);
    } else expect(retentionScheduleFromEnv(env)).toEqual(expected);
  });

  it('schedules the run with pg-boss and runs it for today; a queued date runs too; off unschedules', async () => {
    const results: RetentionRunResult[] = [];
    let jobs: RetentionJobs | undefined;
    try {
      jobs = await startRetentionJobs(t, {
        cron: '* * * * *',
        onResult: (result) => results.push(result),
        boss: { cronMonitorIntervalSeconds: 1, cronWorkerIntervalSeconds: 1 },
      });
      expect(await jobs.boss.getSchedules()).toEqual([
        expect.objectContaining({ name: retentionQueueName, cron: '* * * * *', timezone: 'Asia/Shanghai' }),
      ]);
      const yesterday = addDays(todayIn('Asia/Shanghai'), -1);
      expect(await enqueueRetentionRun(jobs.boss, yesterday)).toEqual(expect.any(String));
      for (let i = 0; i < 300 && results.length < 2; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(results.map((r) => r.as_of).sort()).toEqual([yesterday, todayIn('Asia/Shanghai')].sort());
      expect(results.every((r) => r.dry_run === false && r.anonymised === 0)).toBe(true);
      await jobs.stop();
      jobs = await startRetentionJobs(t, { cron: null });
      expect(await jobs.boss.getSchedules()).toEqual([]);
    } finally {
      await jobs?.stop();
    }
  });
});
