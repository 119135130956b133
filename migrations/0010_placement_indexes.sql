-- Indexes the placement approval wrote for nothing: each costs one index entry per debtor or account
-- placed (a million per million accounts), and another index already serves every query they did.
--
-- debtors_client (client_id): debtors_client_name (client_id, name) leads with the same column, so
-- it answers "the debtors of a client" as well.
DROP INDEX IF EXISTS debtors_client;
-- accounts_ref (client_id, client_account_ref): a reference is (nearly) unique across clients, so
-- accounts_ref_any_client (client_account_ref) finds the same rows and the client is a filter on
-- one or two of them; live references are also in the unique accounts_live_ref.
DROP INDEX IF EXISTS accounts_ref;
