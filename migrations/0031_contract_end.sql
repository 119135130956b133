-- A client's contract can end (src/clients, src/retention). ends_on is the last day of the contract,
-- carried by every version like the other terms (NULL: open-ended). Once it has passed, the client's
-- debtors whose accounts are all recalled or closed are due for anonymisation after a grace period
-- (retention_post_contract_days in src/retention/service.ts, 30 days) whatever the records period,
-- unless a legal hold stops it. retention_anonymised says which rule made a debtor due.
ALTER TABLE contracts ADD COLUMN ends_on date;
ALTER TABLE contracts ADD CONSTRAINT contracts_ends_after_start CHECK (ends_on IS NULL OR ends_on >= effective_from);

ALTER TABLE retention_anonymised ADD COLUMN reason text NOT NULL DEFAULT 'period_elapsed'
  CHECK (reason IN ('period_elapsed', 'contract_ended'));
ALTER TABLE retention_anonymised ADD COLUMN contract_ended_on date;
