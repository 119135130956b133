-- Retention (issue 4 point 7; src/retention/): personal data of debtors whose accounts are all closed
-- and untouched for the retention period of their client's jurisdiction (CN 5 years, US 3, UK 6) is
-- anonymised: names, ID numbers, birth dates, addresses, phone numbers and e-mail addresses, and the
-- free text about them (notes, messages, replies, attempt notes). The books are not touched: entries,
-- postings and balances stay as they were, so `ledger check` still proves them. A legal hold on the
-- debtor, the account or the client stops it.
CREATE TABLE retention_legal_holds (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  -- neither: the whole client; debtor: all its accounts; account: that account's debtor
  debtor_id bigint REFERENCES debtors (id),
  account_id bigint REFERENCES accounts (id),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
  placed_by text NOT NULL,
  placed_at timestamptz NOT NULL DEFAULT now(),
  released_by text,
  released_at timestamptz,
  release_reason text,
  CHECK ((released_at IS NULL) = (released_by IS NULL)),
  CHECK (debtor_id IS NULL OR account_id IS NULL)
);
CREATE INDEX retention_legal_holds_open ON retention_legal_holds (client_id) WHERE released_at IS NULL;

-- What was anonymised and why (no personal data): one row per debtor, written in the same transaction.
CREATE TABLE retention_anonymised (
  debtor_id bigint PRIMARY KEY REFERENCES debtors (id),
  client_id bigint NOT NULL REFERENCES clients (id),
  jurisdiction text NOT NULL,
  retention_years integer NOT NULL,
  last_activity_at timestamptz NOT NULL,
  as_of date NOT NULL,
  anonymised_at timestamptz NOT NULL DEFAULT now(),
  anonymised_by text NOT NULL
);

ALTER TABLE retention_legal_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_anonymised ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON retention_legal_holds TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));
CREATE POLICY client_scope ON retention_anonymised TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));
