-- The books: clients and their versioned contracts, placement batches, debtors, contact points,
-- accounts, and the append-only double-entry ledger (../shared/spec/ledger.md).
-- Every large table carries client_id so it can later be distributed by client.

CREATE TABLE clients (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A contract version is never changed; a change is a new version effective from a date.
CREATE TABLE contracts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  version integer NOT NULL CHECK (version >= 1),
  effective_from date NOT NULL,
  currency char(3) NOT NULL,
  jurisdiction text NOT NULL,
  -- a permutation of penalty, fees, interest, principal: the order payments pay them off
  waterfall text[] NOT NULL CHECK (
    cardinality(waterfall) = 4
    AND waterfall @> ARRAY['penalty', 'fees', 'interest', 'principal']
  ),
  netting boolean NOT NULL,
  discount_limit_bp integer NOT NULL CHECK (discount_limit_bp BETWEEN 0 AND 10000),
  accrual_allowed boolean NOT NULL DEFAULT true,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (client_id, version)
);
CREATE INDEX contracts_in_force ON contracts (client_id, effective_from DESC, version DESC);

-- Commission rate by days past due on the payment date; to_dpd NULL = no upper bound.
CREATE TABLE contract_commission_rates (
  contract_id bigint NOT NULL REFERENCES contracts (id),
  from_dpd integer NOT NULL CHECK (from_dpd >= 0),
  to_dpd integer CHECK (to_dpd IS NULL OR to_dpd >= from_dpd),
  rate_bp integer NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
  PRIMARY KEY (contract_id, from_dpd)
);

CREATE TABLE placement_batches (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  name text NOT NULL,
  status text NOT NULL DEFAULT 'pending_approval'
    CHECK (status IN ('pending_approval', 'approved', 'rejected')),
  file_name text NOT NULL,
  file_sha256 text NOT NULL,
  file_format text NOT NULL,
  file_encoding text,
  rows_total integer NOT NULL DEFAULT 0,
  accepted integer NOT NULL DEFAULT 0,
  rejected integer NOT NULL DEFAULT 0,
  duplicates integer NOT NULL DEFAULT 0,
  placed_total_minor bigint NOT NULL DEFAULT 0,
  recall_date date,
  proposed_by text NOT NULL,
  proposed_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  reject_reason text,
  CHECK ((status = 'pending_approval') = (decided_by IS NULL))
);
-- The same file twice is one batch (unless the first was rejected).
CREATE UNIQUE INDEX placement_batches_same_file ON placement_batches (client_id, file_sha256)
  WHERE status <> 'rejected';

CREATE TABLE debtors (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  name text NOT NULL,
  -- national ID: AES-256-GCM ciphertext and a keyed hash (HMAC-SHA-256) for exact-match search
  id_number_enc bytea,
  id_number_hash bytea,
  id_number_masked text,
  date_of_birth date,
  address text,
  city text,
  region text,
  postal_code text,
  country char(2),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX debtors_id_number ON debtors (id_number_hash) WHERE id_number_hash IS NOT NULL;
CREATE INDEX debtors_client ON debtors (client_id);

CREATE TABLE contact_points (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  debtor_id bigint NOT NULL REFERENCES debtors (id),
  kind text NOT NULL CHECK (kind IN ('phone', 'email')),
  position smallint NOT NULL,
  -- phones: E.164 encrypted + keyed hash; e-mail kept as text
  value_enc bytea,
  value_hash bytea,
  value_masked text NOT NULL,
  value_text text,
  status text NOT NULL DEFAULT 'unverified'
    CHECK (status IN ('unverified', 'valid', 'invalid', 'do_not_contact')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_points_debtor ON contact_points (debtor_id);
CREATE INDEX contact_points_hash ON contact_points (value_hash) WHERE value_hash IS NOT NULL;

CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  batch_id bigint NOT NULL REFERENCES placement_batches (id),
  debtor_id bigint NOT NULL REFERENCES debtors (id),
  client_account_ref text NOT NULL,
  currency char(3) NOT NULL,
  status text NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'paid', 'settled', 'closed', 'recalled', 'written_off')),
  product_type text,
  original_creditor text,
  delinquency_date date NOT NULL,
  charge_off_date date,
  open_date date,
  last_payment_date date,
  last_payment_amount_minor bigint,
  notes text,
  placed_principal_minor bigint NOT NULL,
  placed_interest_minor bigint NOT NULL,
  placed_fees_minor bigint NOT NULL,
  placed_penalty_minor bigint NOT NULL,
  -- Cached balances, maintained by the ledger in the same transaction as the postings;
  -- `huikuan ledger check` proves them equal to the posting sums. The CHECKs make a negative
  -- component impossible (ledger invariant 2).
  principal_minor bigint NOT NULL CHECK (principal_minor >= 0),
  interest_minor bigint NOT NULL CHECK (interest_minor >= 0),
  fees_minor bigint NOT NULL CHECK (fees_minor >= 0),
  penalty_minor bigint NOT NULL CHECK (penalty_minor >= 0),
  overpayment_minor bigint NOT NULL DEFAULT 0 CHECK (overpayment_minor >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz
);
-- A client reference names one live account; a recalled, written-off or closed one may be placed again.
CREATE UNIQUE INDEX accounts_live_ref ON accounts (client_id, client_account_ref)
  WHERE status IN ('active', 'paid', 'settled');
CREATE INDEX accounts_ref ON accounts (client_id, client_account_ref);
CREATE INDEX accounts_debtor ON accounts (debtor_id);
CREATE INDEX accounts_batch ON accounts (batch_id);

-- Every account status change, with who, when and why.
CREATE TABLE account_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  kind text NOT NULL,
  from_status text,
  to_status text,
  reason text,
  entry_id bigint,
  actor text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_events_account ON account_events (account_id, id);

-- ---------------------------------------------------------------- the ledger

CREATE TYPE ledger_account AS ENUM (
  'debt:principal', 'debt:interest', 'debt:fees', 'debt:penalty', 'debt:overpayment',
  'client:placed', 'client:collected', 'client:discounts', 'client:recalled', 'client:written_off',
  'client:adjustments', 'client:payable', 'client:direct_paid', 'client:commission_receivable',
  'trust:bank', 'agency:commission_revenue', 'agency:operating_bank'
);

CREATE TABLE journal_entries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  -- the debtor account the entry is about; NULL for client-level entries (remittance, transfers)
  account_id bigint REFERENCES accounts (id),
  kind text NOT NULL CHECK (kind IN (
    'placement', 'accrual', 'payment', 'direct_payment', 'remittance', 'commission_transfer',
    'reversal', 'discount', 'recall', 'write_off', 'adjustment')),
  currency char(3) NOT NULL,
  effective_date date NOT NULL,
  -- idempotency key of external money events (bank transaction id, client's payment id)
  external_id text,
  reverses_entry_id bigint REFERENCES journal_entries (id),
  -- the contract version whose terms (waterfall, commission) this entry applied
  contract_id bigint REFERENCES contracts (id),
  commission_rate_bp integer,
  days_past_due integer,
  -- the exact commission before rounding = commission_exact_numerator / 10000 minor units;
  -- the rounding remainder stays in client:payable so every total reconciles to the minor unit
  commission_exact_numerator bigint,
  source text,
  reason text,
  memo jsonb,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'reversal') = (reverses_entry_id IS NOT NULL))
);
CREATE UNIQUE INDEX journal_entries_external_id ON journal_entries (client_id, external_id)
  WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX journal_entries_one_reversal ON journal_entries (reverses_entry_id)
  WHERE reverses_entry_id IS NOT NULL;
CREATE INDEX journal_entries_account ON journal_entries (account_id, id) WHERE account_id IS NOT NULL;
CREATE INDEX journal_entries_client_kind ON journal_entries (client_id, kind, effective_date);

-- Signed amounts: a debit is positive, a credit negative; each entry's postings sum to zero.
CREATE TABLE postings (
  entry_id bigint NOT NULL REFERENCES journal_entries (id),
  line smallint NOT NULL,
  client_id bigint NOT NULL,
  -- the debtor account for debt:* postings, NULL otherwise
  account_id bigint,
  ledger_account ledger_account NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor <> 0),
  PRIMARY KEY (entry_id, line),
  CHECK ((account_id IS NOT NULL) = (ledger_account::text LIKE 'debt:%'))
);

-- Append-only: the database itself refuses to change or remove an entry or a posting.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: % on % is refused; post a reversing entry instead', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Every statement that inserts postings must insert whole, balanced entries.
CREATE FUNCTION ledger_require_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced bigint;
BEGIN
  SELECT entry_id INTO unbalanced FROM new_postings GROUP BY entry_id HAVING sum(amount_minor) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % does not balance: its postings must sum to zero', unbalanced
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER postings_balanced AFTER INSERT ON postings
  REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_require_balanced();
