-- The ledger's controls (ledger.md): maker-checker proposals for write-offs, recalls, adjustments
-- and discounts above the contract's limit, and agreed settlements that complete themselves when
-- paid.

CREATE TABLE ledger_proposals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  account_id bigint REFERENCES accounts (id),
  kind text NOT NULL CHECK (kind IN ('discount', 'settlement', 'write_off', 'recall', 'adjustment')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  -- what approval posts: amounts by component, reason, effective date, settlement amount
  payload jsonb NOT NULL,
  reason text,
  proposed_by text NOT NULL,
  proposed_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  decision_reason text,
  entry_id bigint REFERENCES journal_entries (id),
  CHECK ((status = 'pending') = (decided_by IS NULL)),
  -- the second pair of eyes is never the first
  CHECK (decided_by IS NULL OR decided_by <> proposed_by)
);
CREATE INDEX ledger_proposals_status ON ledger_proposals (status, id);
CREATE INDEX ledger_proposals_account ON ledger_proposals (account_id) WHERE account_id IS NOT NULL;

-- An agreed settlement: once the payments after the agreement reach agreed_minor, the rest of the
-- balance is discounted by a ledger entry and the account becomes 'settled'.
CREATE TABLE ledger_settlements (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  account_id bigint NOT NULL REFERENCES accounts (id),
  agreed_minor bigint NOT NULL CHECK (agreed_minor > 0),
  balance_at_agreement_minor bigint NOT NULL,
  -- payments and direct payments in entries with a greater id count towards the settlement
  after_entry_id bigint NOT NULL,
  agreed_on date NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'cancelled')),
  proposal_id bigint REFERENCES ledger_proposals (id),
  discount_entry_id bigint REFERENCES journal_entries (id),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE UNIQUE INDEX ledger_settlements_one_open ON ledger_settlements (account_id) WHERE status = 'open';
