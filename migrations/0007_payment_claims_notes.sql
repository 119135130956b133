-- Payment claims (待银行查账): an agent registers a payment the debtor says they made; finance
-- verifies it against the bank (it is then posted through the ledger, idempotently by the claim's
-- external id 'claim:<id>') or rejects it. And account notes: free text by agents and supervisors.

CREATE TABLE payment_claims (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  account_id bigint NOT NULL REFERENCES accounts (id),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency char(3) NOT NULL,
  paid_on date NOT NULL,
  channel text NOT NULL CHECK (channel IN ('bank_transfer', 'card', 'cash', 'alipay', 'wechat_pay', 'direct_to_client')),
  reference text CHECK (length(reference) <= 200),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'rejected')),
  claimed_by text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  reject_reason text,
  entry_id bigint,
  CHECK ((status = 'pending') = (decided_by IS NULL)),
  -- the second pair of eyes is never the first
  CHECK (decided_by IS NULL OR decided_by <> claimed_by)
);
CREATE INDEX payment_claims_status ON payment_claims (status, id);
CREATE INDEX payment_claims_account ON payment_claims (account_id);
CREATE INDEX payment_claims_client ON payment_claims (client_id, status);

CREATE TABLE account_notes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  account_id bigint NOT NULL REFERENCES accounts (id),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
  author text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_notes_account ON account_notes (account_id, id);

-- Searching accounts by debtor name (exact, or its beginning) within a client.
CREATE INDEX debtors_client_name ON debtors (client_id, name text_pattern_ops);
