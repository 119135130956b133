-- Allocation by score band (issue 5 point 4; src/allocation/model.ts): a team's rule may share new
-- accounts out by the risk model's band — grouped by the champion's latest band (src/risk/platform),
-- dealt in turn within each band so every agent gets an even share of each band.
ALTER TABLE allocation_rules DROP CONSTRAINT allocation_rules_method_check;
ALTER TABLE allocation_rules ADD CONSTRAINT allocation_rules_method_check
  CHECK (method IN ('round_robin', 'balanced_count', 'balanced_balance', 'score_band'));
