-- Quality checks (质检, issue 4 point 5; src/qa/): cases opened when an agent's note fails the
-- prohibited-language checker (outbound text that fails is refused before it is stored or sent), and
-- weekly samples of each agent's work scored on a scorecard by a reviewer. Both are on the agent's
-- record. Rows carry the client for row-level security, like the accounts they are about.
CREATE TABLE qa_cases (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  account_id bigint NOT NULL REFERENCES accounts (id),
  agent text NOT NULL,
  source text NOT NULL CHECK (source IN ('note')),
  source_id bigint NOT NULL,
  excerpt text NOT NULL,
  findings jsonb NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'dismissed')),
  opened_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  decision_note text,
  UNIQUE (source, source_id),
  CHECK ((status = 'open') = (decided_at IS NULL)),
  CHECK (decided_by IS NULL OR decided_by <> agent)
);
CREATE INDEX qa_cases_agent ON qa_cases (agent, opened_at DESC);
CREATE INDEX qa_cases_open ON qa_cases (opened_at) WHERE status = 'open';

CREATE TABLE qa_samples (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- ISO week, e.g. 2026-W48
  week text NOT NULL CHECK (week ~ '^\d{4}-W\d{2}$'),
  agent text NOT NULL,
  client_id bigint NOT NULL REFERENCES clients (id),
  account_id bigint NOT NULL REFERENCES accounts (id),
  source text NOT NULL CHECK (source IN ('note')),
  source_id bigint NOT NULL,
  drawn_by text NOT NULL,
  drawn_at timestamptz NOT NULL DEFAULT now(),
  scores jsonb,
  total integer CHECK (total BETWEEN 0 AND 100),
  reviewer text,
  reviewed_at timestamptz,
  comment text,
  UNIQUE (week, source, source_id),
  CHECK ((total IS NULL) = (reviewed_at IS NULL)),
  CHECK (reviewer IS NULL OR reviewer <> agent)
);
CREATE INDEX qa_samples_agent ON qa_samples (agent, week);

ALTER TABLE qa_cases ENABLE ROW LEVEL SECURITY;
ALTER TABLE qa_samples ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON qa_cases TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));
CREATE POLICY client_scope ON qa_samples TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));
