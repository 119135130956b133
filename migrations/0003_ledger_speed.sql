-- Posting speed (performance.md: ≥ 25,000 payments/s). A payment writes one entry and about eight
-- postings; measured on the development machine, the per-row foreign-key triggers were half the
-- cost of every INSERT into postings (postings.entry_id) and journal_entries (client, account,
-- contract). Entries and their postings are only ever written together by the ledger service, in
-- one transaction, and never updated or deleted (the append-only triggers); `huikuan ledger check`
-- proves what these constraints did: every posting belongs to an existing entry, every entry names
-- an existing client, account and contract (invariants 1 and 6). The reversal link keeps its key.
ALTER TABLE postings DROP CONSTRAINT postings_entry_id_fkey;
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_client_id_fkey;
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_account_id_fkey;
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_contract_id_fkey;
