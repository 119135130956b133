-- Identifiers compare byte by byte (COLLATE "C"): an account's reference at its client and a payment's
-- external id are codes matched exactly, not words sorted for a reader. Under the database's default
-- collation (C.UTF-8 on Debian, en_US.UTF-8 elsewhere) every comparison in their indexes went through
-- strcoll, and a payment import makes hundreds of thousands of them: looking up the accounts a chunk
-- names (4,000 references: 17 ms → 11 ms), each payment's duplicate check and its entry's unique key.
-- Equality is unchanged. Under C.UTF-8 the order is unchanged too (UTF-8 bytes sort as code points);
-- under a language collation, lists sorted by these columns now sort by code point. Rebuilds the
-- indexes on these columns, not the tables (docs/decisions/0014-identifiers-bytewise.md).
ALTER TABLE accounts ALTER COLUMN client_account_ref TYPE text COLLATE "C";
ALTER TABLE journal_entries ALTER COLUMN external_id TYPE text COLLATE "C";
ALTER TABLE payment_import_rows ALTER COLUMN external_id TYPE text COLLATE "C";
ALTER TABLE placement_rows ALTER COLUMN client_account_ref TYPE text COLLATE "C";
