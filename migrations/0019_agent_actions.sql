-- Agent actions on an account (issue 5, point 6; src/worklist/): contact attempts with their
-- disposition, call-backs, promises to pay, payment plans with their instalments (maker-checker
-- above the limits), hardship marks and field visits. The nightly run marks promises and
-- instalments kept or broken (src/worklist/nightly.ts) and counts them on its partitions.

CREATE TABLE contact_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  debtor_id bigint NOT NULL,
  disposition text NOT NULL CHECK (disposition IN (
    'right_party_contact', 'third_party', 'wrong_party', 'no_answer', 'busy', 'voicemail',
    'not_in_service', 'promise_to_pay', 'refuse_to_pay', 'claims_paid', 'dispute', 'hardship',
    'deceased', 'bankruptcy', 'call_back_requested', 'lost_contact')),
  channel text NOT NULL CHECK (channel IN ('call', 'sms', 'email', 'letter', 'visit', 'other')),
  contact_point_id bigint,
  -- the compliance gate's contact this attempt reports on (compliance_contacts.id), when known
  gate_contact_id bigint,
  notes text CHECK (length(notes) <= 4000),
  duration_seconds integer CHECK (duration_seconds BETWEEN 0 AND 86400),
  -- the hold a dispute / deceased / bankruptcy disposition recorded (compliance_holds.id)
  hold_id bigint,
  agent text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_attempts_account ON contact_attempts (account_id, id);

-- A call-back at a local time of the debtor: kept as the UTC instant and the zone it was given in.
CREATE TABLE callbacks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  attempt_id bigint REFERENCES contact_attempts (id),
  due_at timestamptz NOT NULL,
  zone text NOT NULL,
  note text CHECK (length(note) <= 2000),
  status text NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'done', 'missed')),
  missed_on date,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_by text,
  done_at timestamptz,
  CHECK ((status = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX callbacks_account ON callbacks (account_id, id);
CREATE INDEX callbacks_due ON callbacks (client_id, account_id) WHERE status = 'due';

-- A promise to pay: payments posted from promised_on through due_on + grace_days count toward it.
-- `final`: the run's date has passed due_on + grace_days, so kept or broken no longer changes.
CREATE TABLE promises (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  attempt_id bigint REFERENCES contact_attempts (id),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency char(3) NOT NULL,
  balance_minor bigint NOT NULL,
  promised_on date NOT NULL,
  due_on date NOT NULL CHECK (due_on >= promised_on),
  grace_days integer NOT NULL CHECK (grace_days BETWEEN 0 AND 60),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'kept', 'broken', 'cancelled')),
  paid_minor bigint NOT NULL DEFAULT 0,
  kept_on date,
  broken_at date,
  final boolean NOT NULL DEFAULT false,
  -- outside the limits: the supervisor who took it, and which limits it is outside
  approved_by text,
  limit_reasons text[] NOT NULL DEFAULT '{}',
  taken_by text NOT NULL,
  taken_at timestamptz NOT NULL DEFAULT now(),
  cancelled_by text,
  cancelled_at timestamptz,
  cancel_reason text,
  CHECK ((status = 'broken') = (broken_at IS NOT NULL)),
  CHECK ((status = 'kept') = (kept_on IS NOT NULL)),
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX promises_account ON promises (account_id, id);
-- one open promise per account: payments count toward one promise at a time
CREATE UNIQUE INDEX promises_one_open ON promises (account_id) WHERE status = 'open';
CREATE INDEX promises_to_evaluate ON promises (client_id, account_id) WHERE NOT final AND status IN ('open', 'kept');
CREATE INDEX promises_broken ON promises (broken_at) WHERE status = 'broken';

CREATE TABLE payment_plans (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  total_minor bigint NOT NULL CHECK (total_minor > 0),
  currency char(3) NOT NULL,
  balance_minor bigint NOT NULL,
  -- payments posted from this date count toward the instalments, in their order
  starts_on date NOT NULL,
  grace_days integer NOT NULL CHECK (grace_days BETWEEN 0 AND 60),
  status text NOT NULL CHECK (status IN (
    'pending_approval', 'active', 'rejected', 'completed', 'broken', 'cancelled')),
  limit_reasons text[] NOT NULL DEFAULT '{}',
  note text CHECK (length(note) <= 2000),
  proposed_by text NOT NULL,
  proposed_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  decision_reason text,
  broken_at date,
  completed_on date,
  CHECK ((status = 'broken') = (broken_at IS NOT NULL)),
  CHECK (decided_by IS NULL OR decided_by <> proposed_by)
);
CREATE INDEX payment_plans_account ON payment_plans (account_id, id);
CREATE UNIQUE INDEX payment_plans_one_live ON payment_plans (account_id)
  WHERE status IN ('pending_approval', 'active');
CREATE INDEX payment_plans_broken ON payment_plans (broken_at) WHERE status = 'broken';

-- Instalment n is kept when the payments since the plan's start, through its due date + grace,
-- reach the sum of instalments 1 … n (cumulative_minor).
CREATE TABLE plan_instalments (
  plan_id bigint NOT NULL REFERENCES payment_plans (id),
  n smallint NOT NULL CHECK (n >= 1),
  client_id bigint NOT NULL,
  account_id bigint NOT NULL,
  due_on date NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  cumulative_minor bigint NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'kept', 'broken')),
  paid_minor bigint NOT NULL DEFAULT 0,
  kept_on date,
  broken_at date,
  final boolean NOT NULL DEFAULT false,
  PRIMARY KEY (plan_id, n),
  CHECK ((status = 'broken') = (broken_at IS NOT NULL)),
  CHECK ((status = 'kept') = (kept_on IS NOT NULL))
);

CREATE TABLE hardship_marks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  -- compliance.md's forbearance options the debtor asked for or was offered
  options text[] NOT NULL DEFAULT '{}',
  note text NOT NULL CHECK (length(note) BETWEEN 1 AND 2000),
  marked_by text NOT NULL,
  marked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hardship_marks_account ON hardship_marks (account_id, id);

-- A field visit (外访) is recorded in full: no row without its recording (compliance.md, NIFA Art. 21).
CREATE TABLE field_visits (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  visited_at timestamptz NOT NULL,
  address text NOT NULL CHECK (length(address) BETWEEN 1 AND 500),
  visitors text NOT NULL CHECK (length(visitors) BETWEEN 1 AND 500),
  result text NOT NULL CHECK (length(result) BETWEEN 1 AND 4000),
  recording_ref text NOT NULL CHECK (length(btrim(recording_ref)) BETWEEN 1 AND 500),
  latitude numeric(9, 6) CHECK (latitude BETWEEN -90 AND 90),
  longitude numeric(9, 6) CHECK (longitude BETWEEN -180 AND 180),
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX field_visits_account ON field_visits (account_id, id);

-- The nightly run's counts per partition (src/strategy/service.ts).
ALTER TABLE strategy_run_partitions
  ADD COLUMN promises_kept integer,
  ADD COLUMN promises_broken integer,
  ADD COLUMN instalments_kept integer,
  ADD COLUMN instalments_broken integer,
  ADD COLUMN plans_broken integer,
  ADD COLUMN callbacks_missed integer;

-- API requests read these in the caller's client scope, like the accounts they are about.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['contact_attempts', 'callbacks', 'promises', 'payment_plans', 'plan_instalments',
                           'hardship_marks', 'field_visits'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY client_scope ON %I TO huikuan_app
      USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
      WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))$p$, t);
  END LOOP;
END $$;
