-- Holds and consent (src/compliance/holds.ts, compliance.md "Holds that any profile enforces"):
-- what the rule gate reads besides its own contact log. Nothing here is deleted: a hold is lifted
-- with an end stamp (who, when, why), consent is withdrawn the same way, the lost-contact (失联)
-- state is a row per period, so the history of every change stays. Each writer takes the debtor's
-- advisory lock that the gate takes, so a verdict given after a hold was recorded sees it.

-- A hold on a debtor (every account) or one account; opt-outs and do-not-contact may name one
-- contact point (else every point of the channel). In force from starts_at until ends_at (a
-- breathing space's end, exclusive) or until lifted, whichever comes first.
CREATE TABLE compliance_holds (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  debtor_id bigint NOT NULL REFERENCES debtors (id),
  account_id bigint REFERENCES accounts (id),
  contact_point_id bigint REFERENCES contact_points (id),
  kind text NOT NULL CHECK (kind IN (
    'dispute', 'cease', 'bankruptcy', 'deceased', 'legal', 'breathing_space', 'attorney',
    'opt_out_call', 'opt_out_sms', 'opt_out_email', 'do_not_contact')),
  -- how the agency learnt of it (src/compliance/holds.ts, holdSources)
  source text NOT NULL CHECK (source IN (
    'letter', 'phone', 'debtor_page', 'sms_reply', 'email', 'client', 'court', 'attorney', 'agency')),
  note text CHECK (length(note) <= 2000),
  -- attorney-represented: whom to deal with instead
  attorney_name text CHECK (length(attorney_name) <= 200),
  attorney_contact text CHECK (length(attorney_contact) <= 200),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  lifted_at timestamptz,
  lifted_by text,
  lift_reason text CHECK (length(lift_reason) <= 2000),
  CHECK (ends_at IS NULL OR ends_at > starts_at),
  CHECK ((lifted_at IS NULL) = (lifted_by IS NULL) AND (lifted_at IS NULL) = (lift_reason IS NULL)),
  CHECK (kind = 'attorney' OR (attorney_name IS NULL AND attorney_contact IS NULL)),
  CHECK (kind <> 'attorney' OR (attorney_name IS NOT NULL AND attorney_contact IS NOT NULL)),
  CHECK (contact_point_id IS NULL OR kind IN ('opt_out_call', 'opt_out_sms', 'opt_out_email', 'do_not_contact'))
);
CREATE INDEX compliance_holds_debtor ON compliance_holds (debtor_id, id);
CREATE INDEX compliance_holds_account ON compliance_holds (account_id, id) WHERE account_id IS NOT NULL;
-- the ones the nightly run closes when their end has passed
CREATE INDEX compliance_holds_ending ON compliance_holds (ends_at) WHERE ends_at IS NOT NULL AND lifted_at IS NULL;
-- one open opt-out per debtor, channel and point: a second STOP adds nothing
CREATE UNIQUE INDEX compliance_holds_one_opt_out ON compliance_holds
  (debtor_id, kind, coalesce(account_id, 0), coalesce(contact_point_id, 0))
  WHERE lifted_at IS NULL AND kind IN ('opt_out_call', 'opt_out_sms', 'opt_out_email');

-- Consent the person gave: to a channel, to contact outside the quiet hours (one channel or all),
-- or the US prior consent to a call (Regulation F 1006.14(b)(3)(i): calls within 7 days of it are
-- not counted towards 7 in 7). Valid from given_at until expires_at or withdrawal.
CREATE TABLE compliance_consents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  debtor_id bigint NOT NULL REFERENCES debtors (id),
  contact_point_id bigint REFERENCES contact_points (id),
  kind text NOT NULL CHECK (kind IN ('channel', 'quiet_hours', 'prior_call')),
  channel text CHECK (channel IN ('call', 'sms', 'email', 'letter', 'visit')),
  source text NOT NULL CHECK (source IN (
    'letter', 'phone', 'debtor_page', 'sms_reply', 'email', 'client', 'court', 'attorney', 'agency')),
  note text CHECK (length(note) <= 2000),
  given_at timestamptz NOT NULL,
  expires_at timestamptz,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  withdrawn_at timestamptz,
  withdrawn_by text,
  withdraw_reason text CHECK (length(withdraw_reason) <= 2000),
  CHECK (expires_at IS NULL OR expires_at > given_at),
  CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL) AND (withdrawn_at IS NULL) = (withdraw_reason IS NULL)),
  CHECK (kind <> 'channel' OR channel IS NOT NULL),
  CHECK (kind <> 'prior_call' OR channel = 'call')
);
CREATE INDEX compliance_consents_debtor ON compliance_consents (debtor_id, id);

-- The lost-contact (失联) state of a debtor, one row per period: set with a reason, cleared with
-- one. Only in this state may third parties and agreed contacts be reached (CN).
CREATE TABLE compliance_lost_contact (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  debtor_id bigint NOT NULL REFERENCES debtors (id),
  set_at timestamptz NOT NULL,
  set_by text NOT NULL,
  set_reason text NOT NULL CHECK (length(set_reason) BETWEEN 1 AND 2000),
  cleared_at timestamptz,
  cleared_by text,
  clear_reason text CHECK (length(clear_reason) <= 2000),
  CHECK ((cleared_at IS NULL) = (cleared_by IS NULL) AND (cleared_at IS NULL) = (clear_reason IS NULL)),
  CHECK (cleared_at IS NULL OR cleared_at >= set_at)
);
CREATE INDEX compliance_lost_contact_debtor ON compliance_lost_contact (debtor_id, id);
CREATE UNIQUE INDEX compliance_lost_contact_open ON compliance_lost_contact (debtor_id) WHERE cleared_at IS NULL;

-- The US validation notice of an account (Regulation F 1006.34): when it was sent, the assumed
-- receipt (5 business days later, weekends and federal holidays excluded) and the last day of the
-- validation period (30 days after receipt), computed by src/compliance/calendar.ts; and when the
-- verification answering a dispute was sent (which lifts the account's dispute holds).
CREATE TABLE compliance_validation_notices (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL UNIQUE REFERENCES accounts (id),
  sent_on date NOT NULL,
  assumed_receipt date NOT NULL,
  period_ends_on date NOT NULL,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  verification_sent_on date,
  verification_recorded_by text,
  CHECK (assumed_receipt > sent_on AND period_ends_on > assumed_receipt),
  CHECK ((verification_sent_on IS NULL) = (verification_recorded_by IS NULL))
);

-- Agreed (emergency) contacts are contact points of the debtor's record held by someone else.
ALTER TABLE contact_points
  ADD COLUMN party text NOT NULL DEFAULT 'debtor' CHECK (party IN ('debtor', 'agreed_contact')),
  ADD COLUMN holder_name text CHECK (length(holder_name) <= 200),
  ADD COLUMN relation text CHECK (length(relation) <= 100);

-- History is kept: rows are never deleted, and only their closing stamps change.
CREATE FUNCTION compliance_history_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are kept as history: lift, withdraw or clear them instead of deleting', TG_TABLE_NAME;
END $$;
CREATE TRIGGER compliance_holds_no_delete BEFORE DELETE ON compliance_holds
  FOR EACH STATEMENT EXECUTE FUNCTION compliance_history_no_delete();
CREATE TRIGGER compliance_consents_no_delete BEFORE DELETE ON compliance_consents
  FOR EACH STATEMENT EXECUTE FUNCTION compliance_history_no_delete();
CREATE TRIGGER compliance_lost_contact_no_delete BEFORE DELETE ON compliance_lost_contact
  FOR EACH STATEMENT EXECUTE FUNCTION compliance_history_no_delete();
CREATE TRIGGER compliance_validation_notices_no_delete BEFORE DELETE ON compliance_validation_notices
  FOR EACH STATEMENT EXECUTE FUNCTION compliance_history_no_delete();

ALTER TABLE compliance_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_lost_contact ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_validation_notices ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON compliance_holds TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON compliance_consents TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON compliance_lost_contact TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON compliance_validation_notices TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
