-- The nightly run's summary counts its escalations (src/strategy/strategies.ts, escalate): per partition,
-- the escalation steps that moved their account to their team that night, and those still held after it
-- (a promise or plan keeps the account with its agent, or the team is unknown or does not serve the
-- client). Without them a night that held every escalation looked the same as one that moved them all.
ALTER TABLE strategy_run_partitions
  ADD COLUMN escalations_moved int NOT NULL DEFAULT 0,
  ADD COLUMN escalations_held int NOT NULL DEFAULT 0;
