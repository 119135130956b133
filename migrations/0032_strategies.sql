-- Strategies as data (issue 5 point 2; src/strategy/document.ts, strategies.ts; docs/decisions/0011):
-- strategy versions with a second person's approval, each account's place in the strategy in force
-- (segment, arm, when it entered, its next step), the decision log of every account every night, and
-- the actions the treatment paths create (messages dispatched through the gate, agent tasks).

-- A version's document never changes; a proposal is approved or rejected once, by someone else. An
-- approved version governs the nightly runs from effective_from (the day after the latest run when it
-- was approved), so a change never rewrites what a run already decided.
CREATE TABLE strategy_versions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version integer NOT NULL UNIQUE CHECK (version > 0),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  document jsonb NOT NULL,
  status text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'rejected')),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
  proposed_by text NOT NULL,
  proposed_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  decision_reason text,
  effective_from date,
  CHECK ((status = 'proposed') = (decided_by IS NULL)),
  CHECK ((status = 'approved') = (effective_from IS NOT NULL)),
  CHECK (decided_by IS DISTINCT FROM proposed_by)
);
CREATE INDEX strategy_versions_in_force ON strategy_versions (effective_from DESC, version DESC)
  WHERE status = 'approved';

CREATE FUNCTION strategy_versions_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'proposed' OR NEW.document <> OLD.document OR NEW.version <> OLD.version
     OR NEW.proposed_by <> OLD.proposed_by THEN
    RAISE EXCEPTION 'strategy version % is decided or its document is fixed', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER strategy_versions_frozen BEFORE UPDATE ON strategy_versions
  FOR EACH ROW EXECUTE FUNCTION strategy_versions_frozen();
CREATE TRIGGER strategy_versions_kept BEFORE DELETE ON strategy_versions
  FOR EACH ROW EXECUTE FUNCTION strategy_versions_frozen();

-- Each live account's place in the strategy: a row per account in a segment, written only when it
-- changes (segment, arm or version) or when its next step moves, so most nights touch few rows.
CREATE TABLE account_treatments (
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  strategy_version_id bigint NOT NULL REFERENCES strategy_versions (id),
  segment text NOT NULL,
  arm text NOT NULL,
  -- the run date the account entered this segment and arm (its path's day 0)
  entered_on date NOT NULL,
  -- the next step of the path from entry and its date; NULL when the path's steps are all behind it
  next_step text,
  next_due date,
  PRIMARY KEY (client_id, account_id)
) WITH (fillfactor = 70);

-- The decision log (strategy.md): each account each night, the version, segment and arm, the action
-- chosen (the steps created that night, or 'wait'), the alternatives that were eligible (the
-- segment's other arms) and the probability with which the arm was chosen (1 for a single arm, the
-- arm's share for a random split). Outcomes join to it by account and date.
CREATE TABLE strategy_decisions (
  client_id bigint NOT NULL,
  account_id bigint NOT NULL,
  run_date date NOT NULL,
  strategy_version_id bigint NOT NULL,
  segment text NOT NULL,
  arm text NOT NULL,
  action text NOT NULL,
  alternatives text[] NOT NULL,
  probability real NOT NULL CHECK (probability > 0 AND probability <= 1),
  PRIMARY KEY (client_id, account_id, run_date)
);

-- What the paths create: a message (dispatched after the run through the template send and the
-- gate; a refusal keeps the gate's reasons) or an agent task (in the queue until the account is
-- worked). One per account, segment, arm, step and anchor date (the entry or the event's date), so a
-- night run twice creates nothing new.
CREATE TABLE strategy_actions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  run_date date NOT NULL,
  strategy_version_id bigint NOT NULL REFERENCES strategy_versions (id),
  segment text NOT NULL,
  arm text NOT NULL,
  step text NOT NULL,
  anchor text NOT NULL CHECK (anchor IN ('entry', 'promise_broken', 'plan_broken', 'payment')),
  anchor_date date NOT NULL,
  kind text NOT NULL CHECK (kind IN ('message', 'task')),
  channel text CHECK (channel IN ('sms', 'email', 'letter')),
  template text,
  task text CHECK (task IN ('call', 'field_visit', 'legal_review', 'escalate')),
  team text,
  priority smallint NOT NULL CHECK (priority BETWEEN 0 AND 100),
  due_on date NOT NULL,
  -- message: pending → sending → sent | refused (the gate's or the template's reasons) | failed;
  -- task: open → done (the account was worked) | cancelled
  status text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'refused', 'failed', 'open', 'done', 'cancelled')),
  reasons text[] NOT NULL DEFAULT '{}',
  error text,
  message_id bigint,
  attempts smallint NOT NULL DEFAULT 0,
  claimed_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'message') = (channel IS NOT NULL AND template IS NOT NULL)),
  CHECK ((kind = 'task') = (task IS NOT NULL)),
  CHECK (kind = 'message' AND status IN ('pending', 'sending', 'sent', 'refused', 'failed')
      OR kind = 'task' AND status IN ('open', 'done', 'cancelled')),
  UNIQUE (client_id, account_id, segment, arm, step, anchor_date)
);
CREATE INDEX strategy_actions_account ON strategy_actions (account_id, id);
CREATE INDEX strategy_actions_to_send ON strategy_actions (due_on, priority DESC, id)
  WHERE kind = 'message' AND status IN ('pending', 'sending');
CREATE INDEX strategy_actions_open_tasks ON strategy_actions (account_id, due_on)
  WHERE kind = 'task' AND status = 'open';
CREATE INDEX strategy_actions_run ON strategy_actions (run_date, client_id, account_id);

-- API requests read these in the caller's client scope, like the accounts they are about.
ALTER TABLE account_treatments ENABLE ROW LEVEL SECURITY;
ALTER TABLE strategy_decisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE strategy_actions ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON account_treatments TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));
CREATE POLICY client_scope ON strategy_decisions TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));
CREATE POLICY client_scope ON strategy_actions TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));
