-- Placement speed (performance.md: a 1,000,000-row placement within 8 × the COPY floor). Measured
-- with EXPLAIN (ANALYZE) on a 100,000-row batch, the per-row foreign-key triggers were a third of
-- the approval: accounts' three keys (client, batch, debtor) cost more than the insert itself, and
-- contact points', account events' and debtors' keys a third to a half of theirs; the staging key
-- was checked once per COPY row. These rows are written only by the placement approval, in one
-- transaction that inserts the referenced debtors first (or re-points to the client's existing
-- ones, found by a join) and takes the client and batch from the locked batch row; nothing deletes
-- clients, batches, debtors or accounts. `huikuan ledger check` proves what the keys held (no
-- account, contact point, event or debtor names a row that is not there or of another client).
-- docs/decisions/0002-bulk-load-constraints.md.
ALTER TABLE accounts DROP CONSTRAINT accounts_client_id_fkey;
ALTER TABLE accounts DROP CONSTRAINT accounts_batch_id_fkey;
ALTER TABLE accounts DROP CONSTRAINT accounts_debtor_id_fkey;
ALTER TABLE debtors DROP CONSTRAINT debtors_client_id_fkey;
ALTER TABLE contact_points DROP CONSTRAINT contact_points_debtor_id_fkey;
ALTER TABLE account_events DROP CONSTRAINT account_events_account_id_fkey;
ALTER TABLE placement_rows DROP CONSTRAINT placement_rows_batch_id_fkey;
