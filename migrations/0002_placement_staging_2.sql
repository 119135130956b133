-- Placement staging, second step: every staged row draws its account id and a debtor id from the
-- identity sequences as COPY loads it, so approval inserts straight from placement_rows with no
-- join to a mapping table. Approval rewrites debtor_id only on rows whose debtor is shared (the
-- same ID number on several rows, or a debtor the client placed before).
ALTER TABLE placement_rows
  ADD COLUMN account_id bigint NOT NULL DEFAULT nextval('accounts_id_seq'::regclass),
  ADD COLUMN debtor_id bigint NOT NULL DEFAULT nextval('debtors_id_seq'::regclass),
  ADD COLUMN creates_debtor boolean NOT NULL DEFAULT true,
  ADD COLUMN shared_debtor boolean NOT NULL DEFAULT false;
