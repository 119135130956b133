-- Allocation by region, language and skill (issue 5 point 4; src/allocation/model.ts): what each
-- agent covers — languages, regions (provinces or country codes, '*' for all) and skills — and a
-- team rule's optional match requirements applied before its method. An account needs its debtor's
-- region and language, and skills from its state: high_balance above the rule's threshold, legal or
-- field for an open legal-review or field-visit task, hardship for a hardship mark.
CREATE TABLE agent_attributes (
  user_id bigint PRIMARY KEY REFERENCES users (id),
  languages text[] NOT NULL DEFAULT '{}' CHECK (cardinality(languages) <= 20),
  regions text[] NOT NULL DEFAULT '{}' CHECK (cardinality(regions) <= 100),
  skills text[] NOT NULL DEFAULT '{}' CHECK (skills <@ ARRAY['legal', 'high_balance', 'hardship', 'field']),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE allocation_rules
  ADD COLUMN match_region boolean NOT NULL DEFAULT false,
  ADD COLUMN match_language boolean NOT NULL DEFAULT false,
  ADD COLUMN match_skills boolean NOT NULL DEFAULT false,
  -- an account with at least this balance (minor units) needs the high_balance skill; NULL: none does
  ADD COLUMN high_balance_minor bigint CHECK (high_balance_minor > 0);
