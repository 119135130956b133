-- The API's search box (GET /api/v1/accounts?q=…) across the clients in the caller's scope: an exact
-- account reference and a debtor name (exact or its beginning) each by an index, so a search is a
-- few index probes at any size (phones and ID numbers already have their keyed-hash indexes).
CREATE INDEX accounts_ref_any_client ON accounts (client_account_ref);
CREATE INDEX debtors_name_prefix ON debtors (name text_pattern_ops);
