-- Placement import staging (src/placements): the validated rows of a batch awaiting approval, loaded
-- with COPY and made live by a few INSERT … SELECT statements on approval. Rows leave this table
-- when their batch is decided (approved rows now live in debtors, contact_points and accounts;
-- rejected rows are not kept, so no personal data lingers).
CREATE TABLE placement_rows (
  batch_id bigint NOT NULL REFERENCES placement_batches (id),
  row_number integer NOT NULL,
  client_account_ref text NOT NULL,
  debtor_name text NOT NULL,
  id_number_enc bytea,
  id_number_hash bytea,
  id_number_masked text,
  date_of_birth date,
  phone_1_enc bytea,
  phone_1_hash bytea,
  phone_1_masked text,
  phone_2_enc bytea,
  phone_2_hash bytea,
  phone_2_masked text,
  phone_3_enc bytea,
  phone_3_hash bytea,
  phone_3_masked text,
  email text,
  address text,
  city text,
  region text,
  postal_code text,
  country char(2),
  product_type text,
  original_creditor text,
  currency char(3) NOT NULL,
  principal_minor bigint NOT NULL CHECK (principal_minor >= 0),
  interest_minor bigint NOT NULL CHECK (interest_minor >= 0),
  fees_minor bigint NOT NULL CHECK (fees_minor >= 0),
  penalty_minor bigint NOT NULL CHECK (penalty_minor >= 0),
  delinquency_date date NOT NULL,
  charge_off_date date,
  last_payment_date date,
  last_payment_amount_minor bigint,
  open_date date,
  notes text,
  PRIMARY KEY (batch_id, row_number)
);

-- Rows refused at import (bad values and duplicates), kept for `huikuan batch show`.
CREATE TABLE placement_errors (
  batch_id bigint NOT NULL REFERENCES placement_batches (id),
  row_number integer NOT NULL,
  column_name text NOT NULL,
  reason text NOT NULL,
  duplicate boolean NOT NULL DEFAULT false
);
CREATE INDEX placement_errors_batch ON placement_errors (batch_id, row_number);

CREATE INDEX placement_batches_client_status ON placement_batches (client_id, status);
