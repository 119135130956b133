import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addHold, listHolds } from '../compliance/holds.ts';
import { checkLedger } from '../ledger/queries.ts';
import { createClient, placeAccounts } from '../ledger/test-fixtures.ts';
import { addDays } from '../shared/dates.ts';
import { bucketCaseSql, bucketOf } from './model.ts';
import { type PartitionOutcome, runStrategy } from './service.ts';
import { placePortfolio, snapshot, standardPortfolio } from './test-support.ts';

const start = '2026-03-01';
const day2 = addDays(start, 1);
const day3 = addDays(start, 2);
const run = (t: TestDatabase, asOf: string, extra: Partial<Parameters<typeof runStrategy>[1]> = {}) =>
  runStrategy(t.db, { asOf, actor: 'tester', partitionSize: 7, ...extra });

class Crash extends Error {}

describe('days past due and bucket', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('the SQL bucket is the model bucket for every DPD from -5 to 400', async () => {
    const rows = await sql<{ d: number; bucket: string }>`
      SELECT d, ${sql.raw(bucketCaseSql('d'))} AS bucket FROM generate_series(-5, 400) AS d`.execute(t.db);
    expect(rows.rows).toHaveLength(406);
    for (const row of rows.rows) expect(row.bucket).toBe(bucketOf(row.d));
    expect([0, 1, 30, 31, 60, 61, 150, 151, 180, 181].map(bucketOf)).toEqual([
      'current',
      'M1',
      'M1',
      'M2',
      'M2',
      'M3',
      'M5',
      'M6',
      'M6',
      'M6+',
    ]);
  });

  it('stores DPD and bucket at the boundaries, across 29 February', async () => {
    const { clientId } = await createClient(t.db, 'DPD');
    const cases: Array<[string, number, string]> = [
      ['2024-03-06', -5, 'current'],
      ['2024-03-01', 0, 'current'],
      ['2024-02-29', 1, 'M1'],
      ['2024-01-31', 30, 'M1'],
      ['2024-01-30', 31, 'M2'],
      ['2024-01-01', 60, 'M2'],
      ['2023-12-31', 61, 'M3'],
      ['2023-10-03', 150, 'M5'],
      ['2023-10-02', 151, 'M6'],
      ['2023-09-03', 180, 'M6'],
      ['2023-09-02', 181, 'M6+'],
      ['2020-02-29', 1462, 'M6+'],
    ];
    await placeAccounts(
      t.db,
      clientId,
      cases.map(([date], i) => ({ ref: `D${i}`, principal: 1000n, delinquencyDate: date })),
    );
    const result = await run(t, '2024-03-01');
    expect(result.totals).toMatchObject({ accounts: cases.length, advanced: cases.length, recalled: 0 });
    expect(result.totals.bucket_changes).toBe(cases.length); // every first bucket is a change from none
    const rows = await sql<{ ref: string; days_past_due: number; bucket: string }>`
      SELECT a.client_account_ref AS ref, s.days_past_due, s.bucket
        FROM accounts a JOIN account_states s ON s.account_id = a.id ORDER BY a.id`.execute(t.db);
    expect(rows.rows.map((r) => [r.days_past_due, r.bucket])).toEqual(cases.map(([, dpd, b]) => [dpd, b]));

    // a year later without a 29 February, 30 January → 1 March is 30 days: M1, not M2
    await sql`UPDATE accounts SET delinquency_date = '2025-01-30' WHERE client_account_ref = 'D4'`.execute(
      t.db,
    );
    await run(t, '2025-03-01');
    const d4 = await sql<{ days_past_due: number; bucket: string; prior_bucket: string }>`
      SELECT s.days_past_due, s.bucket, s.prior_bucket
        FROM accounts a JOIN account_states s ON s.account_id = a.id WHERE a.client_account_ref = 'D4'`.execute(
      t.db,
    );
    expect(d4.rows[0]).toEqual({ days_past_due: 30, bucket: 'M1', prior_bucket: 'M2' });
    const history = await sql<{ from_bucket: string | null; to_bucket: string; as_of: string }>`
      SELECT h.from_bucket, h.to_bucket, h.as_of FROM account_bucket_history h
        JOIN accounts a ON a.id = h.account_id WHERE a.client_account_ref = 'D4' ORDER BY h.as_of`.execute(
      t.db,
    );
    expect(history.rows).toEqual([
      { from_bucket: null, to_bucket: 'M2', as_of: '2024-03-01' },
      { from_bucket: 'M2', to_bucket: 'M1', as_of: '2025-03-01' },
    ]);
  });

  it('refuses a date before the latest run', async () => {
    await expect(run(t, '2024-06-01')).rejects.toMatchObject({ code: 'invalid_state' });
  });
});

describe('the nightly run over a portfolio', () => {
  let clean: TestDatabase;
  let other: TestDatabase;
  beforeAll(async () => {
    [clean, other] = await Promise.all([testDatabase(), testDatabase()]);
    await placePortfolio(clean.db, start, standardPortfolio);
    await placePortfolio(other.db, start, standardPortfolio);
  });
  afterAll(async () => {
    await clean?.drop();
    await other?.drop();
  });

  it('recalls the accounts whose recall date has come, through the ledger, once', async () => {
    const first = await run(clean, start);
    expect(first.status).toBe('completed');
    expect(first.totals.recalled).toBe(17);
    expect(first.totals.accounts).toBe(83);
    expect(first.totals.advanced).toBe(83 - 17);
    expect(first.progress).toMatchObject({ partitions_done: first.progress.partitions_total });
    const recalled = await sql<{ n: number; entries: number }>`
      SELECT count(*)::int AS n,
             (SELECT count(*)::int FROM journal_entries WHERE kind = 'recall') AS entries
        FROM accounts WHERE status = 'recalled'`.execute(clean.db);
    expect(recalled.rows[0]).toEqual({ n: 17, entries: 17 });
    // every recalled account's debt is gone, credited to the client's recalled account
    const open = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM accounts
       WHERE status = 'recalled' AND principal_minor + interest_minor + fees_minor + penalty_minor <> 0`.execute(
      clean.db,
    );
    expect(open.rows[0]?.n).toBe(0);
    expect(await checkLedger(clean.db)).toEqual([]);

    // the same date again: nothing changes
    const before = await snapshot(clean.db);
    const again = await run(clean, start);
    expect(again.already_completed).toBe(true);
    expect(again.totals).toEqual(first.totals);
    expect(await snapshot(clean.db)).toEqual(before);

    // the next two days: the next batches' recall dates; nothing recalled twice
    expect((await run(clean, day2)).totals.recalled).toBe(23);
    expect((await run(clean, day3)).totals.recalled).toBe(13);
    const entries = await sql<{ n: number; accounts: number }>`
      SELECT count(*)::int AS n, count(DISTINCT account_id)::int AS accounts
        FROM journal_entries WHERE kind = 'recall'`.execute(clean.db);
    expect(entries.rows[0]).toEqual({ n: 53, accounts: 53 });
    expect(await checkLedger(clean.db)).toEqual([]);
  });

  it('a run that crashes between partitions, run again, ends as one clean run', async () => {
    let done = 0;
    const crashAfterThree = async () => {
      done++;
      if (done === 3) throw new Crash('killed after three partitions');
    };
    await expect(run(other, start, { hooks: { afterPartition: crashAfterThree } })).rejects.toBeInstanceOf(
      Crash,
    );
    const half = await sql<{ done: number; total: number }>`
      SELECT count(*) FILTER (WHERE status = 'done')::int AS done, count(*)::int AS total
        FROM strategy_run_partitions`.execute(other.db);
    expect(half.rows[0]?.done).toBe(3);
    expect(half.rows[0]?.total).toBeGreaterThan(6);
    const resumed = await run(other, start);
    expect(resumed.by_this_worker.partitions).toBe((half.rows[0]?.total ?? 0) - 3);
    expect(resumed.totals.recalled).toBe(17);
  });

  it('a crash inside a partition, after its recalls were posted, resumes to the same result', async () => {
    let seen = 0;
    const crashInFourth = async (partition: PartitionOutcome) => {
      seen++;
      if (seen === 4) {
        expect(partition.advanced).toBeGreaterThan(0);
        throw new Crash('killed inside the fourth partition');
      }
    };
    await expect(run(other, day2, { hooks: { beforeCommit: crashInFourth } })).rejects.toBeInstanceOf(Crash);
    await run(other, day2);
  });

  it('two workers at once share the partitions and end as one clean run', async () => {
    const slow = () => new Promise<void>((resolve) => setTimeout(resolve, 40));
    const [a, b] = await Promise.all([
      run(other, day3, { worker: 'worker-a', hooks: { beforeCommit: slow } }),
      run(other, day3, { worker: 'worker-b', hooks: { beforeCommit: slow } }),
    ]);
    expect(a.totals).toEqual(b.totals);
    expect(a.by_this_worker.partitions + b.by_this_worker.partitions).toBe(a.totals.partitions);
    expect(a.by_this_worker.partitions).toBeGreaterThan(0);
    expect(b.by_this_worker.partitions).toBeGreaterThan(0);
    expect(await checkLedger(other.db)).toEqual([]);
    // after the same three days, the crashed, resumed and shared runs left exactly what the clean runs did
    expect(await snapshot(other.db)).toEqual(await snapshot(clean.db));
  });

  it('one run working partitions in parallel ends as the clean runs did; a failure in one stops the others', async () => {
    const third = await testDatabase();
    try {
      await placePortfolio(third.db, start, standardPortfolio);
      await expect(run(third, start, { parallel: 0 })).rejects.toMatchObject({ code: 'bad_usage' });
      await expect(run(third, start, { parallel: 5 })).rejects.toMatchObject({ code: 'bad_usage' });
      // refused before the date was planned
      const planned = await sql<{ n: number }>`SELECT count(*)::int AS n FROM strategy_runs`.execute(
        third.db,
      );
      expect(planned.rows[0]?.n).toBe(0);

      // at most `parallel` partitions in hand at once, and all of them at some point: each partition
      // waits before its commit until three are in hand (or 2 s pass, at the end of the date). A
      // fixed 30 ms wait let a loaded machine miss the moment the three overlapped.
      let inHand = 0;
      let most = 0;
      const slow = async () => {
        inHand++;
        most = Math.max(most, inHand);
        const until = Date.now() + 2000;
        while (most < 3 && Date.now() < until) await new Promise<void>((resolve) => setTimeout(resolve, 5));
        inHand--;
      };
      const first = await run(third, start, { parallel: 3, hooks: { beforeCommit: slow } });
      expect(most).toBe(3);
      expect(first.by_this_worker.partitions).toBe(first.totals.partitions);
      expect(first.progress).toMatchObject({ partitions_done: first.totals.partitions });

      // a crash in one loop: the others claim nothing more, the call fails, a second run finishes the date
      let seen = 0;
      const crashSecond = async () => {
        seen++;
        if (seen === 2) throw new Crash('killed in the second partition');
        await new Promise<void>((resolve) => setTimeout(resolve, 30));
      };
      await expect(
        run(third, day2, { parallel: 2, hooks: { beforeCommit: crashSecond } }),
      ).rejects.toBeInstanceOf(Crash);
      const left = await sql<{ pending: number }>`
        SELECT count(*) FILTER (WHERE p.status = 'pending')::int AS pending
          FROM strategy_run_partitions p JOIN strategy_runs r ON r.id = p.run_id WHERE r.as_of = ${day2}::date`.execute(
        third.db,
      );
      // the crashed partition is pending again; without the stop the other loop would have done all the rest
      expect(left.rows[0]?.pending).toBeGreaterThan(2);
      await run(third, day2, { parallel: 2 });
      await run(third, day3, { parallel: 2 });
      expect(await checkLedger(third.db)).toEqual([]);
      expect(await snapshot(third.db)).toEqual(await snapshot(clean.db));
    } finally {
      await third.drop();
    }
  });
});

describe('expired holds', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('are stamped lifted by the run of a date after their end, and open ones are left alone', async () => {
    const { clientId } = await createClient(t.db, 'HLD');
    await placeAccounts(t.db, clientId, [{ ref: 'H1', principal: 100_00n, delinquencyDate: '2026-01-01' }]);
    const account = await t.db
      .selectFrom('accounts')
      .select('id')
      .where('client_account_ref', '=', 'H1')
      .executeTakeFirstOrThrow();
    const ending = await addHold(
      t.db,
      {
        accountId: account.id,
        onDebtor: true,
        kind: 'breathing_space',
        source: 'court',
        startsAt: '2026-02-01',
        endsAt: '2026-03-01',
      },
      'compliance.li',
    );
    const open = await addHold(
      t.db,
      { accountId: account.id, kind: 'dispute', source: 'letter' },
      'compliance.li',
    );
    await runStrategy(t.db, { asOf: '2026-02-28', actor: 'tester' });
    // the breathing space is in force through 1 March (its last day): not lifted by the night of 28 February
    expect(
      (await listHolds(t.db, { accountId: account.id })).filter((hold) => hold.liftedAt !== null),
    ).toEqual([]);
    // a run for a past date looks at the end of that date (for today's run: now)
    await runStrategy(t.db, { asOf: '2026-03-01', actor: 'tester' });
    const holds = await listHolds(t.db, { accountId: account.id });
    const lifted = holds.find((hold) => hold.id === ending.hold.id);
    expect(lifted).toMatchObject({ liftedBy: 'strategy-run' });
    expect(holds.find((hold) => hold.id === open.hold.id)?.liftedAt).toBeNull();
  });
});
