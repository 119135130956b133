-- Nightly speed (performance.md: the run over 1,000,000 accounts within 30 s). Measured with
-- auto_explain (ANALYZE) on the 200,000-account bench, the first night spent about a third of its
-- partition's time in per-row foreign-key triggers: each new account_states, account_treatments,
-- strategy_actions and strategy_test_entries row probed accounts and strategy_versions and took a
-- KEY SHARE lock on its account row, which dirties the accounts page it sits on (a full-page image in
-- the WAL after each checkpoint: the first night rewrote most of accounts' heap for nothing). The
-- risk scores' tables are written the same way, per account per night, when a champion model scores.
-- These rows are written only by the nightly run (and the dry run reads them), in the partition's
-- transaction, from accounts it has just read; nothing deletes accounts, strategy versions (a
-- trigger refuses it) or risk models. `huikuan ledger check` proves what the keys held: none of
-- these rows names an account that is not there or belongs to another client, or a version or model
-- that is not there. docs/decisions/0002-bulk-load-constraints.md (amended).
ALTER TABLE account_states DROP CONSTRAINT account_states_account_id_fkey;
ALTER TABLE account_treatments DROP CONSTRAINT account_treatments_account_id_fkey;
ALTER TABLE account_treatments DROP CONSTRAINT account_treatments_strategy_version_id_fkey;
ALTER TABLE strategy_actions DROP CONSTRAINT strategy_actions_account_id_fkey;
ALTER TABLE strategy_actions DROP CONSTRAINT strategy_actions_strategy_version_id_fkey;
ALTER TABLE strategy_test_entries DROP CONSTRAINT strategy_test_entries_account_id_fkey;
ALTER TABLE strategy_test_entries DROP CONSTRAINT strategy_test_entries_strategy_version_id_fkey;
ALTER TABLE risk_account_scores DROP CONSTRAINT risk_account_scores_account_id_fkey;
ALTER TABLE risk_account_scores DROP CONSTRAINT risk_account_scores_model_id_fkey;
ALTER TABLE risk_score_history DROP CONSTRAINT risk_score_history_account_id_fkey;
ALTER TABLE risk_score_history DROP CONSTRAINT risk_score_history_model_id_fkey;

-- The escalation step reads the partition's open escalations not yet moved, twice a night; through
-- strategy_actions_open_tasks it read every open task of the partition (all the day-0 calls: 155 ms per
-- 50,000-account partition at 200,000 accounts) to keep the few escalations.
CREATE INDEX strategy_actions_open_escalations ON strategy_actions (client_id, account_id)
  WHERE kind = 'task' AND task = 'escalate' AND status = 'open' AND moved_at IS NULL;
