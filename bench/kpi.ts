/**
 * `npm run bench -- kpi [--size N] [--seed N] [--keep | --reuse DB]` (default 1,000,000 accounts): the measures'
 * queries (src/reports/measures.ts, what GET /api/v1/measures/* answer) on a book of N accounts
 * placed by two clients in ten monthly vintages, about five postings per account (placement entries,
 * a payment file through the real import), contact attempts, promises and assignments to three teams
 * of ten agents — seeded, not timed. Then each dashboard query runs `repeats` times (after one
 * warm-up) and the bench reports each one's p50 / p95 and the p95 over all of them.
 * Target (performance.md): the KPI dashboard's queries — recovery curve, roll rates, agent table —
 * p95 < 1 s at 1,000,000 accounts and 5,000,000 postings. `--keep` keeps the seeded database;
 * `--reuse DB` times the queries again on one kept earlier, without seeding.
 */
import path from 'node:path';
import { sql } from 'kysely';
import { type Connection, type Db, openDatabase } from '../src/db/connection.ts';
import { createTeam, createUser } from '../src/identity/service.ts';
import {
  compareMeasure,
  measureSummary,
  measuresBy,
  recoveryCurves,
  rollRates,
} from '../src/reports/measures.ts';
import { addMonths } from '../src/reports/measures-model.ts';
import type { MeasureCut } from '../src/reports/measures-types.ts';
import { addDays, todayIn } from '../src/shared/dates.ts';
import { benchDatabase, huikuan, log, parseArgs, report, round, rssSampler, tempDir } from './common.ts';
import { writePaymentFile } from './generate.ts';
import { seedPlacedAccounts } from './seed.ts';

const targetMs = 1000;
const repeats = 10;
const vintages = 10;
const teams = 3;
const agentsPerTeam = 10;

export async function run(args: string[]): Promise<number> {
  const reuseAt = args.indexOf('--reuse');
  const reuse = reuseAt >= 0 ? (args[reuseAt + 1] ?? '') : null;
  if (reuse !== null && !/^[a-z_][a-z0-9_]*$/.test(reuse)) {
    throw new Error('--reuse needs the name of a database kept by an earlier run (--keep)');
  }
  const options = parseArgs(
    reuseAt >= 0 ? [...args.slice(0, reuseAt), ...args.slice(reuseAt + 2)] : args,
    1_000_000,
  );
  const temp = tempDir();
  const db = reuse ? await reuseDatabase(reuse) : await benchDatabase();
  log(`database ${db.name}${db.embedded ? ' (embedded server)' : ''}`);
  const today = todayIn();
  try {
    if (!reuse) await seedBook(db, options, today, temp.dir);
    return await timeQueries(db, options.size, today);
  } finally {
    if (!options.keep && !reuse) await db.drop();
    else await db.close();
    temp.remove();
  }
}

/** A kept database of an earlier run (`--keep`) on the same server, timed again without seeding. */
async function reuseDatabase(
  name: string,
): Promise<Connection & { name: string; embedded: boolean; drop(): Promise<void> }> {
  const server = await openDatabase({ migrate: false, maxConnections: 1 });
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  await server.close();
  const connection = await openDatabase({ url: url.toString() });
  return { ...connection, name, embedded: server.embedded, drop: () => connection.close() };
}

async function seedBook(
  db: Connection,
  options: { size: number; seed: number },
  today: string,
  dir: string,
): Promise<void> {
  {
    const clientCodes = ['KPIA', 'KPIB'];
    const clientIds: bigint[] = [];
    const refs: string[] = [];
    for (const [index, code] of clientCodes.entries()) {
      await huikuan([
        'client',
        'add',
        '--code',
        code,
        '--name',
        index === 0 ? '基准银行信用卡中心' : '基准消费金融',
        '--commission',
        '0-90:1500,91-180:2500,181-:3500',
        '--effective',
        '2020-01-01',
        '--user',
        'bench',
      ]);
      const client = await db.db
        .selectFrom('clients')
        .select('id')
        .where('code', '=', code)
        .executeTakeFirstOrThrow();
      clientIds.push(client.id);
    }
    // ten monthly vintages, alternating between the clients, the latest last month
    const perBatch = Math.max(10, Math.floor(options.size / vintages));
    for (let v = 0; v < vintages; v++) {
      const clientIndex = v % 2;
      const month = `${addMonths(today.slice(0, 7), v - vintages)}-01`;
      log(
        `placing ${perBatch} accounts of ${clientCodes[clientIndex]}, vintage ${month.slice(0, 7)} (not timed)`,
      );
      const seeded = await seedPlacedAccounts(db.db, {
        clientId: clientIds[clientIndex] as bigint,
        count: perBatch,
        seed: options.seed + v,
        refPrefix: `V${v}-`,
        batchName: `vintage ${month.slice(0, 7)}`,
        analyze: false,
      });
      // the seed approves its batch now; a vintage is the month a batch was approved
      await sql`UPDATE placement_batches SET decided_at = ${`${month}T10:00:00+08:00`}::timestamptz,
                                             proposed_at = ${`${month}T09:00:00+08:00`}::timestamptz
                 WHERE id = ${seeded.batchId}`.execute(db.db);
      // a payment file reads refs of one client: keep the first client's for it
      if (clientIndex === 0) refs.push(...seeded.refs);
    }

    log('teams, agents and assignments (not timed)');
    const agents: string[] = [];
    for (let team = 1; team <= teams; team++) {
      const created = await createTeam(db.db, { name: `催收${team}组`, clientCodes }, { actor: 'bench' });
      for (let a = 1; a <= agentsPerTeam; a++) {
        const username = `agent${team}_${a}`;
        await createUser(
          db.db,
          {
            username,
            displayName: `催收员${team}-${a}`,
            roles: ['agent'],
            team: BigInt(String(created.id)),
            password: 'Correct-Horse-42',
          },
          { actor: 'bench' },
        );
        agents.push(username);
      }
    }
    const teamIds = await db.db.selectFrom('teams').select('id').orderBy('id').execute();
    // nine accounts in ten assigned, each to one of the thirty agents and the agent's team
    await sql`
      INSERT INTO account_assignments (client_id, account_id, team_id, agent, assigned_by)
      SELECT a.client_id, a.id, (${sql.lit(`{${teamIds.map((t) => t.id).join(',')}}`)}::bigint[])[1 + (a.id % ${teams})],
             'agent' || (1 + a.id % ${teams}) || '_' || (1 + (a.id / ${teams}) % ${agentsPerTeam}), 'bench'
        FROM accounts a WHERE a.id % 10 <> 0`.execute(db.db);

    const file = path.join(dir, 'payments.csv');
    const paymentRows = Math.floor(options.size * 0.4);
    log(
      `writing ${paymentRows} payments of ${clientCodes[0]} over the last 90 days and importing them (not timed)`,
    );
    await writePaymentFile(file, { rows: paymentRows, refs, seed: options.seed, until: addDays(today, -1) });
    await huikuan(['import', 'payments', file, '--client', clientCodes[0] as string, '--user', 'bench']);

    log('contact attempts and promises (not timed)');
    // three in ten accounts had an attempt in the last 90 days, by one of their agents
    await sql`
      INSERT INTO contact_attempts (client_id, account_id, debtor_id, disposition, channel, agent, at)
      SELECT a.client_id, a.id, a.debtor_id,
             (ARRAY['right_party_contact', 'no_answer', 'busy', 'promise_to_pay', 'third_party', 'voicemail',
                    'refuse_to_pay', 'wrong_party', 'no_answer', 'hardship'])[1 + (a.id * 7) % 10],
             'call', coalesce(s.agent, 'agent1_1'),
             now() - make_interval(days => (a.id % 90)::int, mins => (a.id % 600)::int)
        FROM accounts a LEFT JOIN account_assignments s ON s.account_id = a.id
       WHERE a.id % 10 < 3`.execute(db.db);
    await sql`
      INSERT INTO promises (client_id, account_id, amount_minor, currency, balance_minor, promised_on, due_on,
                            grace_days, status, kept_on, broken_at, final, taken_by)
      SELECT a.client_id, a.id, 50000, a.currency, 100000, d.promised_on, d.promised_on + 7, 3,
             CASE WHEN a.id % 3 = 0 THEN 'kept' WHEN a.id % 3 = 1 THEN 'broken' ELSE 'open' END,
             CASE WHEN a.id % 3 = 0 THEN d.promised_on + 5 END,
             CASE WHEN a.id % 3 = 1 THEN d.promised_on + 11 END,
             a.id % 3 <> 2, 'bench'
        FROM accounts a CROSS JOIN LATERAL (SELECT ${today}::date - 20 - (a.id % 60)::int AS promised_on) d
       WHERE a.id % 20 = 0`.execute(db.db);
    await sql`VACUUM (ANALYZE)`.execute(db.db);
    await sql`CHECKPOINT`.execute(db.db).catch(() => {});
  }
}

async function timeQueries(db: Connection, size: number, today: string): Promise<number> {
  {
    const counts = await sql<{ accounts: string; postings: string }>`
      SELECT (SELECT count(*) FROM accounts)::text AS accounts, (SELECT count(*) FROM postings)::text AS postings`.execute(
      db.db,
    );
    const accounts = Number(counts.rows[0]?.accounts ?? 0);
    const postings = Number(counts.rows[0]?.postings ?? 0);
    log(`${accounts} accounts, ${postings} postings; timing the dashboard's queries`);

    const all: MeasureCut = { currency: 'CNY', clientIds: 'all' };
    const lastMonth = addMonths(today.slice(0, 7), -1);
    const last30 = { from: addDays(today, -29), to: today };
    // each in a transaction of its own, as the routes run them (readScoped): the measures' settings
    // (no JIT, more work_mem) are local to it
    const inTransaction =
      <T>(work: (trx: Db) => Promise<T>) =>
      () =>
        db.db.transaction().execute(work);
    const queries: Record<string, () => Promise<unknown>> = {
      summary_30_days: inTransaction((trx) => measureSummary(trx, all, last30)),
      agent_table: inTransaction((trx) => measuresBy(trx, 'agent', all, last30, 500)),
      by_client: inTransaction((trx) => measuresBy(trx, 'client', all, last30, 500)),
      by_vintage: inTransaction((trx) => measuresBy(trx, 'vintage', all, last30, 500)),
      recovery_curve: inTransaction((trx) => recoveryCurves(trx, all, { months: 12, vintages: 12, today })),
      roll_rates: inTransaction((trx) => rollRates(trx, all, lastMonth)),
      compare_contact_rate: inTransaction((trx) =>
        compareMeasure(
          trx,
          'contact_rate',
          all,
          { from: addDays(today, -59), to: addDays(today, -30) },
          last30,
        ),
      ),
    };
    const sampler = rssSampler();
    const byQuery: Record<string, { p50_ms: number; p95_ms: number; max_ms: number }> = {};
    const every: number[] = [];
    for (const [name, query] of Object.entries(queries)) {
      await query(); // warm-up: plans and caches, as a dashboard opened before
      const times: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const started = performance.now();
        await query();
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      every.push(...times);
      byQuery[name] = {
        p50_ms: round(percentile(times, 0.5), 1),
        p95_ms: round(percentile(times, 0.95), 1),
        max_ms: round(times.at(-1) ?? 0, 1),
      };
      log(`${name}: p50 ${byQuery[name].p50_ms} ms, p95 ${byQuery[name].p95_ms} ms`);
    }
    every.sort((a, b) => a - b);
    const p95 = percentile(every, 0.95);
    report({
      bench: 'kpi',
      size,
      seconds: round(p95 / 1000),
      per_second: round(1000 / percentile(every, 0.5), 1),
      rss_mb_max: sampler.stop(),
      p95_ms: round(p95, 1),
      target_ms: targetMs,
      met: p95 < targetMs,
      repeats,
      accounts,
      postings,
      queries: byQuery,
      server: db.embedded ? 'embedded' : 'DATABASE_URL',
    });
    return 0;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
}
