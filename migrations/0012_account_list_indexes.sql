-- The account lists of the agent workspace (GET /api/v1/accounts) at a million accounts, newest
-- first (bench/api.ts measures them):
--
-- accounts_client_newest (client_id, id): the accounts of one client newest first. An agent's team
-- sees some clients; one scan of all accounts newest first stepped over every account of the others
-- (hundreds of thousands of rows for a page of 20). The list reads each client through this index
-- and merges the branches.
CREATE INDEX accounts_client_newest ON accounts (client_id, id);

-- accounts_batch_newest (batch_id, id) replaces accounts_batch (batch_id): the same entries, and a
-- batch's accounts come out newest first, so a page of a batch stops after the page.
CREATE INDEX accounts_batch_newest ON accounts (batch_id, id);
DROP INDEX IF EXISTS accounts_batch;

-- accounts_closed_newest: the accounts no longer active (paid, settled, closed, recalled, written
-- off) newest first by status. Only those rows are in it, so placing new (active) accounts costs it
-- nothing; a list filtered to one of these statuses no longer scans the active ones.
CREATE INDEX accounts_closed_newest ON accounts (status, id) WHERE status <> 'active';
