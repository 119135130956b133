-- Fewer indexes on strategy_actions (0032): the nightly run inserts an action for every account whose
-- step falls due, so each index costs on every night. The decisions now read the night's actions from
-- the INSERT's own RETURNING (no index by run date needed), and an account's actions are read by
-- client and account, the leading columns of the table's unique key.
DROP INDEX strategy_actions_account;
DROP INDEX strategy_actions_run;
