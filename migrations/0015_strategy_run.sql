-- The nightly strategy run (issue 5, point 1; src/strategy/): days past due and bucket stored on each
-- live account as of the run's business date, a history of bucket changes (roll rates, kpi.md and
-- strategy.md's transition matrices, are shares of balance moving between buckets), and the run's
-- progress per partition so a crashed run resumes and several workers share one.

-- Not indexed on purpose: the nightly UPDATE then stays a HOT update (fillfactor 90, 0009).
ALTER TABLE accounts
  ADD COLUMN days_past_due integer,
  ADD COLUMN bucket text CHECK (bucket IN ('current', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M6+')),
  -- the bucket before the last run that advanced the account (the UPDATE reads the old value here,
  -- as PostgreSQL 15 has no OLD in RETURNING)
  ADD COLUMN prior_bucket text,
  -- the business date of the last run that advanced the account
  ADD COLUMN strategy_as_of date;

-- One row per business date; the first worker plans the partitions in the same transaction.
CREATE TABLE strategy_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  as_of date NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed')),
  partition_size integer NOT NULL CHECK (partition_size > 0),
  partitions_total integer NOT NULL DEFAULT 0,
  accounts_planned bigint NOT NULL DEFAULT 0,
  started_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);

-- A partition is one client's live accounts with ids in [first_id, last_id] (the client's last
-- partition ends at the largest bigint, so accounts placed after planning are still covered). A
-- worker claims one with FOR UPDATE SKIP LOCKED and marks it done in the transaction that advanced it.
CREATE TABLE strategy_run_partitions (
  run_id bigint NOT NULL REFERENCES strategy_runs (id),
  part integer NOT NULL,
  client_id bigint NOT NULL,
  first_id bigint NOT NULL,
  last_id bigint NOT NULL CHECK (last_id >= first_id),
  accounts_planned integer NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
  worker text,
  accounts integer,
  advanced integer,
  bucket_changes integer,
  recalled integer,
  finished_at timestamptz,
  PRIMARY KEY (run_id, part),
  CHECK ((status = 'done') = (finished_at IS NOT NULL))
);

-- Every bucket an account entered (from_bucket NULL: its first run), with the balance it carried.
CREATE TABLE account_bucket_history (
  client_id bigint NOT NULL,
  account_id bigint NOT NULL,
  as_of date NOT NULL,
  from_bucket text,
  to_bucket text NOT NULL,
  days_past_due integer NOT NULL,
  balance_minor bigint NOT NULL,
  run_id bigint NOT NULL,
  PRIMARY KEY (client_id, account_id, as_of)
);

-- API requests read the history in the caller's client scope, like the accounts it is about.
ALTER TABLE account_bucket_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON account_bucket_history TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));
