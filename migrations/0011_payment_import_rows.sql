-- Payment file import staging (src/payments/service.ts, src/ledger/payments.ts). The rows of a file
-- that passed the checks needing no account are written here as they are read, instead of being kept
-- in the importing process for the whole file: memory stays flat in the file's size, repeats of an
-- external id within the file are found by one query, and the ledger posts chunk by chunk straight
-- from this table (no per-payment parameters). An import's rows are deleted when it ends.
--
-- UNLOGGED: the rows are a working copy of the file being imported (which is kept and hashed in
-- payment_imports); after a crash the table is emptied, and an interrupted import is simply run
-- again (posting is idempotent by external id).
CREATE SEQUENCE payment_import_stage_seq;

CREATE UNLOGGED TABLE payment_import_rows (
  stage_id bigint NOT NULL,
  row_number integer NOT NULL,
  external_id text NOT NULL,
  -- what identifies the payment's content (model.ts `fingerprint`): a repeat with the same content is
  -- a duplicate, with other content an error
  fingerprint text NOT NULL,
  -- 'p' a payment to post, 'r' a reversal row (checked and posted by the import), 'x' refused by a
  -- check that needs the account (the import reports why)
  status char(1) NOT NULL CHECK (status IN ('p', 'r', 'x')),
  account_id bigint,
  amount_minor bigint,
  currency text,
  paid_on date,
  paid_at timestamptz,
  channel text,
  payer_name text,
  reference text,
  -- posting order: the stream (accounts split so streams post side by side) and chunk within it
  stream smallint,
  chunk integer,
  PRIMARY KEY (stage_id, row_number)
);
