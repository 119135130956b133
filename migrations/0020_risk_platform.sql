-- The risk model inside the platform (issue 6, points 4 and 5; src/risk/platform/): the model
-- registry (proposed → approved by a second user → champion / challenger → retired), the nightly
-- scores (a history row per account, model and date; the latest champion score on a narrow table of
-- its own so `accounts` keeps its HOT updates), monthly monitoring with drift alerts, and the risk
-- watch list with its configurable rules.

CREATE TABLE risk_models (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  version integer NOT NULL CHECK (version >= 1),
  -- NULL: agency-wide; else the model scores this client's accounts only
  client_id bigint REFERENCES clients (id),
  status text NOT NULL DEFAULT 'proposed'
    CHECK (status IN ('proposed', 'approved', 'champion', 'challenger', 'retired')),
  model jsonb NOT NULL,
  -- what it was trained on: file or observation date, outcome window, rows, events
  training jsonb NOT NULL,
  outcome_days integer NOT NULL CHECK (outcome_days BETWEEN 1 AND 730),
  paid_share numeric NOT NULL CHECK (paid_share > 0 AND paid_share <= 1),
  validation_auc double precision,
  validation_ks double precision,
  validation_psi double precision,
  owner text NOT NULL,
  note text CHECK (length(note) <= 2000),
  proposed_by text NOT NULL,
  proposed_at timestamptz NOT NULL DEFAULT now(),
  approved_by text,
  approved_at timestamptz,
  promoted_by text,
  promoted_at timestamptz,
  retired_by text,
  retired_at timestamptz,
  UNIQUE (name, version),
  -- the second pair of eyes is never the first
  CHECK (approved_by IS NULL OR approved_by <> proposed_by),
  CHECK (status IN ('proposed', 'retired') OR approved_by IS NOT NULL),
  CHECK ((status = 'retired') = (retired_at IS NOT NULL))
);
CREATE UNIQUE INDEX risk_models_one_champion ON risk_models (coalesce(client_id, 0)) WHERE status = 'champion';

-- One row per account, model and date scored; the champion's and each challenger's.
CREATE TABLE risk_score_history (
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  as_of date NOT NULL,
  model_id bigint NOT NULL REFERENCES risk_models (id),
  role text NOT NULL CHECK (role IN ('champion', 'challenger')),
  score integer NOT NULL,
  band smallint NOT NULL,
  probability double precision NOT NULL,
  balance_minor bigint NOT NULL,
  reasons text[] NOT NULL,
  PRIMARY KEY (account_id, as_of, model_id)
);
CREATE INDEX risk_score_history_model ON risk_score_history (model_id, as_of);

-- The latest champion score of each account: narrow, updated in place every night.
CREATE TABLE risk_account_scores (
  account_id bigint PRIMARY KEY REFERENCES accounts (id),
  client_id bigint NOT NULL,
  model_id bigint NOT NULL REFERENCES risk_models (id),
  as_of date NOT NULL,
  score integer NOT NULL,
  band smallint NOT NULL,
  probability double precision NOT NULL,
  reasons text[] NOT NULL
) WITH (fillfactor = 80);

CREATE TABLE risk_monitoring (
  model_id bigint NOT NULL REFERENCES risk_models (id),
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  accounts integer NOT NULL,
  events integer NOT NULL,
  auc double precision,
  ks double precision,
  psi double precision,
  validation_auc double precision,
  computed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model_id, month)
);

CREATE TABLE risk_alerts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model_id bigint NOT NULL REFERENCES risk_models (id),
  month date NOT NULL,
  kind text NOT NULL CHECK (kind IN ('psi', 'auc_drop')),
  value double precision NOT NULL,
  threshold double precision NOT NULL,
  message text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (model_id, month, kind)
);

-- The watch rules and their settings (threshold: broken promises counted, score points dropped).
CREATE TABLE risk_watch_rules (
  code text PRIMARY KEY CHECK (code IN (
    'lost_contact', 'broken_promises', 'dispute', 'complaint', 'bankruptcy_deceased', 'score_drop')),
  enabled boolean NOT NULL DEFAULT true,
  threshold integer CHECK (threshold BETWEEN 1 AND 1000),
  updated_by text NOT NULL DEFAULT 'migration',
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO risk_watch_rules (code, threshold) VALUES
  ('lost_contact', NULL), ('broken_promises', 2), ('dispute', NULL), ('complaint', NULL),
  ('bankruptcy_deceased', NULL), ('score_drop', 50);

CREATE TABLE risk_watch (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  rule text NOT NULL REFERENCES risk_watch_rules (code),
  detail text NOT NULL,
  first_seen date NOT NULL,
  last_seen date NOT NULL CHECK (last_seen >= first_seen),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'actioned')),
  acknowledged_by text,
  acknowledged_at timestamptz,
  actioned_by text,
  actioned_at timestamptz,
  action_note text CHECK (length(action_note) <= 2000),
  CHECK ((status = 'actioned') = (actioned_at IS NOT NULL)),
  CHECK (actioned_at IS NULL OR (actioned_by IS NOT NULL AND action_note IS NOT NULL))
);
CREATE INDEX risk_watch_account ON risk_watch (account_id, rule, last_seen);
CREATE INDEX risk_watch_open ON risk_watch (client_id, status, id) WHERE status <> 'actioned';

ALTER TABLE risk_score_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE risk_account_scores ENABLE ROW LEVEL SECURITY;
ALTER TABLE risk_watch ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON risk_score_history TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON risk_account_scores TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON risk_watch TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
