/**
 * The nightly run (issue 5, point 1): advances every live account for a business date.
 *
 * A run is one row of strategy_runs per date, planned by the first worker into partitions — one
 * client's accounts in an id range of about `partitionSize` live accounts. Workers claim partitions
 * with `FOR UPDATE SKIP LOCKED`; each partition runs its steps and is marked done in the transaction
 * that advanced it, so a crash loses at most the partition in hand and a second run picks it up. Every
 * step is idempotent for the date: a partition run twice changes nothing the second time.
 *
 * Steps per partition, in order:
 *   1. recall dates (退案) reached: each live account of a batch whose recall_date ≤ the date is recalled
 *      through the ledger's own recall (proposeRecall + approveProposal: the recall entry, the status
 *      change and its account event), each in its own transaction; a recalled account is no longer live.
 *   2. days past due and bucket: one set-based UPDATE … FROM per partition, with a history row for every
 *      bucket an account enters (roll rates).
 *   3. promises and plans (src/worklist/nightly.ts): promises and plan instalments kept / broken with
 *      their grace, plans broken or completed, call-backs missed; set-based, in the partition's transaction.
 *   4. risk scores and watch (src/risk/platform/scoring.ts): the champion's and challengers' scores of the
 *      partition's live accounts for the date, and the risk watch rules; idempotent for the date.
 *   5. expired holds, once per run before it completes (closeExpiredHolds): holds whose end has passed
 *      are stamped lifted.
 *   6. allocation, once per run before it completes (src/allocation allocateNew): live accounts without
 *      an agent shared out by the teams' rules.
 *   7. segments and treatments (src/strategy/strategies.ts), per partition after the scores: each live
 *      account's segment and arm under the approved strategy in force, the treatment steps due (messages
 *      for the dispatcher, agent tasks for the queues) and one decision-log row per account; escalation
 *      steps move their account to their team, counted as escalations moved and held.
 * Extension point — `partitionSteps` below: segment, treatment step, allocation and queue priority go
 * there as steps of their own.
 */
import { hostname } from 'node:os';
import { sql } from 'kysely';
import { allocateNew } from '../allocation/service.ts';
import { closeEndedHolds } from '../compliance/holds.ts';
import type { Db } from '../db/connection.ts';
import { approveProposal, proposeRecall } from '../ledger/events.ts';
import { liveStatuses } from '../ledger/post.ts';
import { riskScoresStep } from '../risk/platform/scoring.ts';
import { addDays, type BusinessDate } from '../shared/dates.ts';
import { HuikuanError, isHuikuanError } from '../shared/errors.ts';
import { type AgentActionCounts, promisesAndPlansStep } from '../worklist/nightly.ts';
import { bucketCaseSql } from './model.ts';
import { type EscalationCounts, treatmentStep } from './strategies.ts';

export const defaultPartitionSize = 50_000;
/** The largest bigint: a client's last partition reaches it, so later placements are covered. */
const maxId = 9_223_372_036_854_775_807n;
const liveList = sql.raw(liveStatuses.map((status) => `'${status}'`).join(', '));
const bucketOfLiveDpd = sql.raw(bucketCaseSql('l.dpd'));

export const recallProposer = 'strategy-run';

export interface RunProgress {
  partitions_done: number;
  partitions_total: number;
  accounts_done: number;
  accounts_total: number;
}

export interface PartitionOutcome {
  part: number;
  client_id: bigint;
  first_id: bigint;
  last_id: bigint;
  /** Live accounts advanced to the date by this pass (0 when a earlier pass already did). */
  advanced: number;
  bucket_changes: number;
  recalled: number;
  promises_kept: number;
  promises_broken: number;
  instalments_kept: number;
  instalments_broken: number;
  plans_broken: number;
  callbacks_missed: number;
  /** Escalation steps settled by a move to their team by this pass (strategies.ts escalate). */
  escalations_moved: number;
  /** Escalation steps of the partition still held after this pass (retried the next night). */
  escalations_held: number;
}

export interface RunHooks {
  /** Inside the partition's transaction, after its steps, before it is marked done (tests: throw = crash). */
  beforeCommit?: (partition: PartitionOutcome) => void | Promise<void>;
  /** After the partition committed (tests: throw = crash between partitions). */
  afterPartition?: (partition: PartitionOutcome) => void | Promise<void>;
}

export interface RunOptions {
  asOf: BusinessDate;
  /** Who started the run (recorded on the run). */
  actor: string;
  /** This worker's name, recorded on the partitions it did (default host:pid:random). */
  worker?: string;
  partitionSize?: number;
  /**
   * Partitions this call works at once, each in its own transaction on its own connection (default 1;
   * at most `maxParallel`). Two on a 2-vCPU database halve the night; more than the database's cores
   * gain nothing.
   */
  parallel?: number;
  onProgress?: (progress: RunProgress) => void;
  hooks?: RunHooks;
}

export interface RunTotals extends AgentActionCounts, EscalationCounts {
  partitions: number;
  accounts: number;
  advanced: number;
  bucket_changes: number;
  recalled: number;
}

export interface RunResult {
  run_id: bigint;
  as_of: BusinessDate;
  status: 'completed';
  /** The date's run had completed before this call: nothing was done. */
  already_completed: boolean;
  worker: string;
  /** The whole run, all workers. */
  totals: RunTotals;
  /** What this worker did. */
  by_this_worker: RunTotals;
  progress: RunProgress;
  seconds: number;
}

interface RunRow {
  id: bigint;
  as_of: string;
  status: 'running' | 'completed';
  partitions_total: number;
  accounts_planned: bigint;
}

interface PartitionRow {
  part: number;
  client_id: bigint;
  first_id: bigint;
  last_id: bigint;
  accounts_planned: number;
}

interface PartitionContext {
  db: Db;
  trx: Db;
  run: RunRow;
  partition: PartitionRow;
}

/** One step of the nightly run over one partition; returns the counts it adds to the outcome. */
interface PartitionStep {
  name: string;
  run(
    context: PartitionContext,
  ): Promise<
    Partial<
      Pick<
        PartitionOutcome,
        'advanced' | 'bucket_changes' | 'recalled' | keyof AgentActionCounts | keyof EscalationCounts
      >
    >
  >;
}

// Order matters: a recalled account is no longer live, so it is not advanced. Steps that write the
// ledger run in their own transactions (the ledger's), before the partition's transaction writes
// accounts, so the two never wait on each other's row locks.
const partitionSteps: readonly PartitionStep[] = [
  { name: 'recall dates', run: recallDueAccounts },
  { name: 'promises and plans', run: promisesAndPlansStep },
  // expired holds: once per run, not per partition (closeExpiredHolds, before the run completes)
  { name: 'days past due and bucket', run: advanceAccounts },
  // after days past due: the champion's (and challengers') scores and the risk watch (src/risk/platform)
  { name: 'risk scores and watch', run: riskScoresStep },
  // after the scores: segment and arm, treatment steps due, the decision log (src/strategy/strategies.ts)
  { name: 'segments and treatments', run: treatmentStep },
];

export async function runStrategy(db: Db, options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const parallel = options.parallel ?? 1;
  if (!Number.isSafeInteger(parallel) || parallel < 1 || parallel > maxParallel) {
    throw new HuikuanError(
      'bad_usage',
      `Partitions at once must be a whole number from 1 to ${maxParallel}; got ${parallel}.`,
    );
  }
  const worker = options.worker ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const run = await planRun(db, options.asOf, options.partitionSize ?? defaultPartitionSize, options.actor);
  if (run.status === 'completed') {
    return resultOf(db, run, worker, true, started);
  }
  // each loop claims partitions until none is left; a failure stops the others at their next claim
  let failed = false;
  const loop = async () => {
    try {
      await workPartitions(db, run, worker, options, () => failed);
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  const loops = await Promise.allSettled(Array.from({ length: parallel }, loop));
  const rejected = loops.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (rejected) throw rejected.reason;
  await closeExpiredHolds(db, run.as_of);
  // allocation: live accounts without an agent shared out by the teams' rules (src/allocation)
  await allocateNew(db, recallProposer);
  // No partition is pending or held by another worker: the run is complete (the last worker to get
  // here sees every partition done; the guard makes the others' updates no-ops).
  await sql`
    UPDATE strategy_runs SET status = 'completed', completed_at = now()
     WHERE id = ${run.id} AND status = 'running'
       AND NOT EXISTS (SELECT FROM strategy_run_partitions WHERE run_id = ${run.id} AND status = 'pending')`.execute(
    db,
  );
  return resultOf(db, { ...run, status: 'completed' }, worker, false, started);
}

/**
 * Most partitions one call works at once: each loop holds its partition's transaction and may take a
 * second connection (recalls, progress), out of a pool of 10 shared with the server's requests.
 */
export const maxParallel = 4;
/** Partitions at once for `huikuan strategy run`, the worker and the server's scheduled run. */
export const defaultParallel = 2;

/** Claims and advances partitions of the run, one transaction each, until none is pending. */
async function workPartitions(
  db: Db,
  run: RunRow,
  worker: string,
  options: RunOptions,
  stopped: () => boolean,
): Promise<void> {
  while (!stopped()) {
    const outcome = await db.transaction().execute(async (trx) => {
      const partition = (await claim(trx, run.id, true)) ?? (await claim(trx, run.id, false));
      // a loop that waited on a failed loop's partition gets it after the rollback: it stops instead
      if (!partition || stopped()) return null;
      // a partition's statements pass jit_above_cost; compiling them costs more than it saves. Their
      // sorts of a partition's accounts (≈ 50,000 rows) spilled to disk under the default 4 MB.
      await sql`SET LOCAL jit = off`.execute(trx);
      await sql`SET LOCAL work_mem = '64MB'`.execute(trx);
      const done: PartitionOutcome = {
        part: partition.part,
        client_id: partition.client_id,
        first_id: partition.first_id,
        last_id: partition.last_id,
        advanced: 0,
        bucket_changes: 0,
        recalled: 0,
        promises_kept: 0,
        promises_broken: 0,
        instalments_kept: 0,
        instalments_broken: 0,
        plans_broken: 0,
        callbacks_missed: 0,
        escalations_moved: 0,
        escalations_held: 0,
      };
      for (const step of partitionSteps) {
        Object.assign(done, await step.run({ db, trx, run, partition }));
      }
      await options.hooks?.beforeCommit?.(done);
      await sql`
        UPDATE strategy_run_partitions
           SET status = 'done', worker = ${worker}, accounts = ${partition.accounts_planned},
               advanced = ${done.advanced}, bucket_changes = ${done.bucket_changes}, recalled = ${done.recalled},
               promises_kept = ${done.promises_kept}, promises_broken = ${done.promises_broken},
               instalments_kept = ${done.instalments_kept}, instalments_broken = ${done.instalments_broken},
               plans_broken = ${done.plans_broken}, callbacks_missed = ${done.callbacks_missed},
               escalations_moved = ${done.escalations_moved}, escalations_held = ${done.escalations_held},
               finished_at = now()
         WHERE run_id = ${run.id} AND part = ${partition.part}`.execute(trx);
      return done;
    });
    if (!outcome) break;
    await options.hooks?.afterPartition?.(outcome);
    if (options.onProgress) options.onProgress(await progressOf(db, run));
  }
}

/**
 * Expired holds: holds whose end (a breathing space's, say) has passed by the end of the run's date
 * (or now, for today's run) are stamped lifted. The gate already stops applying a hold at its end;
 * this keeps the lists of open holds and the one-open-opt-out rule true. Not per partition: the holds
 * are few and keyed by debtor; several workers share the work (SKIP LOCKED in closeEndedHolds).
 */
async function closeExpiredHolds(db: Db, asOf: BusinessDate): Promise<number> {
  const endOfDay = new Date(`${addDays(asOf, 1)}T00:00:00+08:00`);
  const until = new Date(Math.min(Date.now(), endOfDay.getTime()));
  let closed = 0;
  for (let round = 0; round < maxHoldRounds; round++) {
    const done = await closeEndedHolds(db, { asOf: until, limit: holdsPerRound, actor: recallProposer });
    closed += done.closed;
    if (done.closed < holdsPerRound) break;
  }
  return closed;
}

const holdsPerRound = 1_000;
const maxHoldRounds = 1_000;

/**
 * The date's run: the existing one, or a new one planned into partitions. Runs go forward: a date
 * before the latest run's is refused (it would move accounts back and rewrite their history).
 */
async function planRun(db: Db, asOf: BusinessDate, partitionSize: number, actor: string): Promise<RunRow> {
  if (!Number.isSafeInteger(partitionSize) || partitionSize < 1) {
    throw new HuikuanError('bad_usage', 'The partition size must be a whole number of at least 1.');
  }
  const later = await sql<{ as_of: string }>`
    SELECT as_of FROM strategy_runs WHERE as_of > ${asOf}::date ORDER BY as_of DESC LIMIT 1`.execute(db);
  const latest = later.rows[0];
  if (latest) {
    throw new HuikuanError(
      'invalid_state',
      `The nightly run for ${latest.as_of} already exists and runs go forward; ${asOf} is before it. Run a date on or after ${latest.as_of}.`,
    );
  }
  const existing = await findRun(db, asOf);
  if (existing) return existing;
  return db.transaction().execute(async (trx) => {
    // a concurrent planner of the same date makes this wait for its commit, then insert nothing
    const inserted = await sql<{ id: bigint }>`
      INSERT INTO strategy_runs (as_of, partition_size, started_by)
      VALUES (${asOf}::date, ${partitionSize}, ${actor})
      ON CONFLICT (as_of) DO NOTHING RETURNING id`.execute(trx);
    const runId = inserted.rows[0]?.id;
    if (runId === undefined) {
      const planned = await findRun(trx, asOf);
      if (!planned)
        throw new HuikuanError('internal', `The nightly run for ${asOf} vanished while planning.`);
      return planned;
    }
    await sql`SET LOCAL jit = off`.execute(trx);
    // consecutive ranges per client covering every id (0 … the largest bigint), each holding about
    // partitionSize live accounts
    await sql`
      WITH live AS (
        SELECT client_id, id, (row_number() OVER (PARTITION BY client_id ORDER BY id) - 1) / ${partitionSize} AS k
          FROM accounts WHERE status IN (${liveList})),
      ranges AS (
        SELECT client_id, k, min(id) AS first_id, count(*)::int AS n FROM live GROUP BY client_id, k),
      bounded AS (
        SELECT client_id, k, n,
               CASE WHEN k = 0 THEN 0 ELSE first_id END AS first_id,
               coalesce(lead(first_id) OVER (PARTITION BY client_id ORDER BY k) - 1, ${maxId}::bigint) AS last_id
          FROM ranges)
      INSERT INTO strategy_run_partitions (run_id, part, client_id, first_id, last_id, accounts_planned)
      SELECT ${runId}, row_number() OVER (ORDER BY client_id, k), client_id, first_id, last_id, n
        FROM bounded`.execute(trx);
    const planned = await sql<RunRow>`
      UPDATE strategy_runs r
         SET partitions_total = p.total, accounts_planned = p.accounts
        FROM (SELECT count(*)::int AS total, coalesce(sum(accounts_planned), 0)::int8 AS accounts
                FROM strategy_run_partitions WHERE run_id = ${runId}) p
       WHERE r.id = ${runId}
      RETURNING r.id, r.as_of, r.status, r.partitions_total, r.accounts_planned`.execute(trx);
    const row = planned.rows[0];
    if (!row) throw new HuikuanError('internal', `The nightly run for ${asOf} could not be planned.`);
    return row;
  });
}

async function findRun(db: Db, asOf: BusinessDate): Promise<RunRow | undefined> {
  const found = await sql<RunRow>`
    SELECT id, as_of, status, partitions_total, accounts_planned
      FROM strategy_runs WHERE as_of = ${asOf}::date`.execute(db);
  return found.rows[0];
}

/**
 * The next pending partition, locked for this transaction. First without waiting (SKIP LOCKED: the
 * ones other workers hold are theirs); when none is free, waiting on the held ones — a worker that
 * commits leaves its partition done (skipped), one that crashed leaves it pending (taken here).
 */
async function claim(trx: Db, runId: bigint, skipLocked: boolean): Promise<PartitionRow | undefined> {
  const rows = await sql<PartitionRow>`
    SELECT part, client_id, first_id, last_id, accounts_planned
      FROM strategy_run_partitions
     WHERE run_id = ${runId} AND status = 'pending'
     ORDER BY part LIMIT 1
       FOR UPDATE ${skipLocked ? sql`SKIP LOCKED` : sql``}`.execute(trx);
  return rows.rows[0];
}

/**
 * Days past due and bucket for the partition's live accounts not yet advanced to the run's date, in
 * one statement, into account_states (a narrow table: migrations/0022): accounts seen before are
 * updated, new ones inserted; a history row for each account whose bucket changed (or was first set).
 */
async function advanceAccounts({ trx, run, partition }: PartitionContext) {
  const counts = await sql<{ advanced: number; bucket_changes: number }>`
    WITH live AS (
      SELECT a.client_id, a.id, r.as_of, r.as_of - a.delinquency_date AS dpd,
             a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor AS balance
        FROM accounts a CROSS JOIN strategy_runs r
       WHERE r.id = ${run.id}
         AND a.client_id = ${partition.client_id}
         AND a.id BETWEEN ${partition.first_id} AND ${partition.last_id}
         AND a.status IN (${liveList})),
    updated AS (
      UPDATE account_states s
         SET days_past_due = l.dpd, bucket = ${bucketOfLiveDpd}, prior_bucket = s.bucket, as_of = l.as_of
        FROM live l
       WHERE s.client_id = l.client_id AND s.account_id = l.id AND s.as_of IS DISTINCT FROM l.as_of
      RETURNING s.client_id, s.account_id, s.prior_bucket, s.bucket, s.days_past_due, s.as_of, l.balance),
    inserted AS (
      INSERT INTO account_states (client_id, account_id, days_past_due, bucket, prior_bucket, as_of)
      SELECT l.client_id, l.id, l.dpd, ${bucketOfLiveDpd}, NULL, l.as_of
        FROM live l
       WHERE NOT EXISTS (SELECT 1 FROM account_states s WHERE s.client_id = l.client_id AND s.account_id = l.id)
      RETURNING client_id, account_id, prior_bucket, bucket, days_past_due, as_of),
    moved AS (
      SELECT client_id, account_id, prior_bucket, bucket, days_past_due, as_of, balance FROM updated
      UNION ALL
      SELECT i.client_id, i.account_id, i.prior_bucket, i.bucket, i.days_past_due, i.as_of, l.balance
        FROM inserted i JOIN live l ON l.id = i.account_id),
    changed AS (
      INSERT INTO account_bucket_history
             (client_id, account_id, as_of, from_bucket, to_bucket, days_past_due, balance_minor, run_id)
      SELECT client_id, account_id, as_of, prior_bucket, bucket, days_past_due, balance, ${run.id}
        FROM moved WHERE prior_bucket IS DISTINCT FROM bucket
      RETURNING 1)
    SELECT (SELECT count(*) FROM moved)::int AS advanced, (SELECT count(*) FROM changed)::int AS bucket_changes`.execute(
    trx,
  );
  return counts.rows[0] ?? { advanced: 0, bucket_changes: 0 };
}

/**
 * Recalls (退案) the partition's live accounts whose batch's recall date has come. The recall date
 * was approved with the batch (the batch's second pair of eyes), so the run proposes the recall and
 * approves it in the batch approval's name; a recall someone proposed already is approved as it is.
 */
async function recallDueAccounts({ db, run, partition }: PartitionContext) {
  const batches = await sql<{ id: bigint; recall_date: string; decided_by: string | null }>`
    SELECT id, recall_date, decided_by FROM placement_batches
     WHERE client_id = ${partition.client_id} AND status = 'approved' AND recall_date <= ${run.as_of}::date`.execute(
    db,
  );
  if (batches.rows.length === 0) return { recalled: 0 };
  const batchIds = batches.rows.map((batch) => String(batch.id));
  const due = await sql<{ id: bigint; batch_id: bigint }>`
    SELECT id, batch_id FROM accounts
     WHERE client_id = ${partition.client_id} AND id BETWEEN ${partition.first_id} AND ${partition.last_id}
       AND batch_id = ANY(${batchIds}::bigint[]) AND status IN (${liveList})
     ORDER BY id`.execute(db);
  const batchById = new Map(batches.rows.map((batch) => [batch.id, batch]));
  for (const account of due.rows) {
    const batch = batchById.get(account.batch_id);
    if (batch) await recallAccount(db, partition.client_id, account.id, batch, run.as_of);
  }
  // counted from the ledger's proposals, so a partition done again after a crash counts the recalls
  // its first attempt committed too
  const counted = await sql<{ recalled: number }>`
    SELECT count(*)::int AS recalled FROM ledger_proposals
     WHERE client_id = ${partition.client_id} AND kind = 'recall' AND status = 'approved'
       AND account_id BETWEEN ${partition.first_id} AND ${partition.last_id}
       AND decision_reason = ANY(${batches.rows.map((batch) => recallDecision(batch, run.as_of))}::text[])`.execute(
    db,
  );
  return { recalled: counted.rows[0]?.recalled ?? 0 };
}

type DueBatch = { id: bigint; recall_date: string; decided_by: string | null };

function recallDecision(batch: DueBatch, asOf: string): string {
  return `recall date ${batch.recall_date} approved with batch ${batch.id}${batch.decided_by ? ` by ${batch.decided_by}` : ''}; nightly run of ${asOf}`;
}

async function recallAccount(
  db: Db,
  clientId: bigint,
  accountId: bigint,
  batch: DueBatch,
  asOf: string,
): Promise<void> {
  const approver = `batch-${batch.id}-approval`;
  const pending = await db
    .selectFrom('ledger_proposals')
    .select(['id', 'proposed_by'])
    .where('account_id', '=', accountId)
    .where('kind', '=', 'recall')
    .where('status', '=', 'pending')
    .executeTakeFirst();
  try {
    const proposalId =
      pending?.id ??
      (await proposeRecall(db, {
        clientId,
        accountId,
        actor: recallProposer,
        effectiveDate: asOf,
        reason: `recall date ${batch.recall_date} of batch ${batch.id} reached (退案)`,
      }));
    await approveProposal(db, {
      proposalId,
      actor: pending?.proposed_by === approver ? recallProposer : approver,
      reason: recallDecision(batch, asOf),
    });
  } catch (error) {
    // someone recalled, wrote off or closed the account meanwhile: it is no longer live, nothing to do
    if (isHuikuanError(error) && (error.code === 'invalid_state' || error.code === 'conflict')) return;
    throw error;
  }
}

async function progressOf(db: Db, run: RunRow): Promise<RunProgress> {
  const row = await sql<{ done: number; accounts: number }>`
    SELECT count(*)::int AS done, coalesce(sum(accounts_planned), 0)::int AS accounts
      FROM strategy_run_partitions WHERE run_id = ${run.id} AND status = 'done'`.execute(db);
  return {
    partitions_done: row.rows[0]?.done ?? 0,
    partitions_total: run.partitions_total,
    accounts_done: row.rows[0]?.accounts ?? 0,
    accounts_total: Number(run.accounts_planned),
  };
}

async function resultOf(
  db: Db,
  run: RunRow,
  worker: string,
  alreadyCompleted: boolean,
  started: number,
): Promise<RunResult> {
  const rows = await sql<RunTotals & { mine: boolean }>`
    SELECT worker = ${worker} AS mine, count(*)::int AS partitions,
           coalesce(sum(accounts), 0)::int AS accounts, coalesce(sum(advanced), 0)::int AS advanced,
           coalesce(sum(bucket_changes), 0)::int AS bucket_changes, coalesce(sum(recalled), 0)::int AS recalled,
           coalesce(sum(promises_kept), 0)::int AS promises_kept, coalesce(sum(promises_broken), 0)::int AS promises_broken,
           coalesce(sum(instalments_kept), 0)::int AS instalments_kept,
           coalesce(sum(instalments_broken), 0)::int AS instalments_broken,
           coalesce(sum(plans_broken), 0)::int AS plans_broken, coalesce(sum(callbacks_missed), 0)::int AS callbacks_missed,
           coalesce(sum(escalations_moved), 0)::int AS escalations_moved,
           coalesce(sum(escalations_held), 0)::int AS escalations_held
      FROM strategy_run_partitions WHERE run_id = ${run.id} AND status = 'done'
     GROUP BY 1`.execute(db);
  const totals: RunTotals = {
    partitions: 0,
    accounts: 0,
    advanced: 0,
    bucket_changes: 0,
    recalled: 0,
    promises_kept: 0,
    promises_broken: 0,
    instalments_kept: 0,
    instalments_broken: 0,
    plans_broken: 0,
    callbacks_missed: 0,
    escalations_moved: 0,
    escalations_held: 0,
  };
  const mine: RunTotals = { ...totals };
  for (const row of rows.rows) {
    for (const key of Object.keys(totals) as (keyof RunTotals)[]) {
      totals[key] += row[key];
      if (row.mine && !alreadyCompleted) mine[key] += row[key];
    }
  }
  return {
    run_id: run.id,
    as_of: run.as_of,
    status: 'completed',
    already_completed: alreadyCompleted,
    worker,
    totals,
    by_this_worker: mine,
    progress: {
      partitions_done: totals.partitions,
      partitions_total: run.partitions_total,
      accounts_done: totals.accounts,
      accounts_total: Number(run.accounts_planned),
    },
    seconds: Math.round(performance.now() - started) / 1000,
  };
}
