-- The champion's latest score of every live account is rewritten every night (src/risk/platform/scoring.ts).
-- With full pages each rewrite moved the row to another page and added a key entry; with room on the
-- page the update stays there (heap-only), as account_states does (0022). New pages get the room; a
-- table filled before this fills in as its rows move.
ALTER TABLE risk_account_scores SET (fillfactor = 50);
