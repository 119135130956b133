-- The nightly run's per-account state moves off accounts into a narrow table of its own.
--
-- 0015 stored days past due, bucket, prior bucket and the run's date on accounts. The nightly run
-- rewrites every live account's row: on accounts that is a new version of a ≈ 300-byte row (its
-- amounts, dates, references) per account per night, ≈ 300 MB of heap and WAL per million accounts,
-- and the 1,000,000-account run cost as much as a full-table UPDATE of accounts (performance.md's
-- floor) — about twice the 30 s target on this machine. Here a row is ≈ 60 bytes, and the pages
-- keep room (fillfactor 50) for the next night's versions, so the update stays heap-only and
-- touches no index. The segment, treatment step and queue priority of later steps belong here too.
-- (client_id, account_id) leads with the client like the other large tables (distribution by client).
CREATE TABLE account_states (
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  days_past_due integer NOT NULL,
  bucket text NOT NULL CHECK (bucket IN ('current', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M6+')),
  -- the bucket before the last run that advanced the account (the UPDATE reads the old value here,
  -- as PostgreSQL 15 has no OLD in RETURNING); NULL for an account's first run
  prior_bucket text,
  -- the business date of the last run that advanced the account
  as_of date NOT NULL,
  PRIMARY KEY (client_id, account_id)
) WITH (fillfactor = 50);

INSERT INTO account_states (client_id, account_id, days_past_due, bucket, prior_bucket, as_of)
SELECT client_id, id, days_past_due, bucket, prior_bucket, strategy_as_of
  FROM accounts
 WHERE strategy_as_of IS NOT NULL AND days_past_due IS NOT NULL AND bucket IS NOT NULL;

ALTER TABLE accounts
  DROP COLUMN days_past_due,
  DROP COLUMN bucket,
  DROP COLUMN prior_bucket,
  DROP COLUMN strategy_as_of;

-- API requests read the state in the caller's client scope, like the accounts it is about.
ALTER TABLE account_states ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON account_states TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));
