-- The compliance rule gate (src/compliance, compliance.md): versions of the rule profiles and the
-- client / account overrides, each proposed by one user and decided by another; every verdict the
-- gate gave; and the contacts it let through, which are the history its caps count. A contact is
-- recorded in the same transaction as its verdict, under a per-debtor advisory lock, so two agents
-- dialling one debtor at once are decided one after the other and the second sees the first.

CREATE TABLE compliance_profile_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  jurisdiction text NOT NULL CHECK (jurisdiction IN ('CN', 'US', 'UK')),
  -- base: a new version of the jurisdiction's profile (version 1 is compliance.md's, in code);
  -- client / account: an override, which may only tighten what it applies to
  scope text NOT NULL CHECK (scope IN ('base', 'client', 'account')),
  client_id bigint REFERENCES clients (id),
  account_id bigint,
  -- the rules changed, as the proposer wrote them (src/compliance/profiles.ts, changeRules)
  changes jsonb NOT NULL,
  -- base versions: the whole rule set once approved
  rules jsonb,
  -- numbered on approval, per jurisdiction and target
  version integer,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  reason text NOT NULL,
  proposed_by text NOT NULL,
  proposed_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  decision_reason text,
  CHECK ((status = 'pending') = (decided_by IS NULL)),
  -- the second pair of eyes is never the first
  CHECK (decided_by IS NULL OR decided_by <> proposed_by),
  CHECK ((status = 'approved') = (version IS NOT NULL)),
  CHECK ((scope = 'base' AND rules IS NOT NULL) = (scope = 'base' AND status = 'approved')),
  CHECK (CASE scope
           WHEN 'base' THEN client_id IS NULL AND account_id IS NULL
           WHEN 'client' THEN client_id IS NOT NULL AND account_id IS NULL
           ELSE client_id IS NOT NULL AND account_id IS NOT NULL
         END)
);
CREATE UNIQUE INDEX compliance_profile_versions ON compliance_profile_changes
  (jurisdiction, scope, coalesce(client_id, 0), coalesce(account_id, 0), version)
  WHERE version IS NOT NULL;
CREATE INDEX compliance_profile_changes_pending ON compliance_profile_changes (status, id);

-- Every verdict, allowed or not: what was asked, the answer, and the profile version that gave it.
CREATE TABLE compliance_verdicts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL,
  debtor_id bigint NOT NULL,
  contact_point_id bigint,
  actor text NOT NULL,
  purpose text NOT NULL,
  channel text NOT NULL,
  party text NOT NULL,
  -- who exactly: 'debtor:12', 'third_party:cp:55' …
  person text NOT NULL,
  proposed_at timestamptz NOT NULL,
  verdict text NOT NULL CHECK (verdict IN ('allow', 'deny', 'allow_with_conditions')),
  reasons text[] NOT NULL,
  jurisdiction text NOT NULL,
  profile_version integer NOT NULL,
  overrides text[] NOT NULL,
  zones text[] NOT NULL,
  -- the holds, flags and history size the rules read
  inputs jsonb NOT NULL,
  decided_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX compliance_verdicts_account ON compliance_verdicts (account_id, id);
CREATE INDEX compliance_verdicts_client ON compliance_verdicts (client_id, decided_at);

-- The verdict log is evidence: it is appended to, never changed.
CREATE FUNCTION compliance_verdicts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'compliance verdicts are append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER compliance_verdicts_append_only BEFORE UPDATE OR DELETE ON compliance_verdicts
  FOR EACH STATEMENT EXECUTE FUNCTION compliance_verdicts_append_only();

-- Contacts the gate allowed: outcome 'pending' until the channel reports what happened.
CREATE TABLE compliance_contacts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL,
  debtor_id bigint NOT NULL,
  contact_point_id bigint,
  person text NOT NULL,
  party text NOT NULL,
  channel text NOT NULL,
  robot boolean NOT NULL,
  at timestamptz NOT NULL,
  outcome text NOT NULL DEFAULT 'pending' CHECK (outcome IN (
    'pending', 'conversation', 'connected_no_answer', 'voicemail', 'no_answer', 'busy',
    'not_in_service', 'delivered')),
  verdict_id bigint NOT NULL REFERENCES compliance_verdicts (id),
  outcome_at timestamptz
);
CREATE INDEX compliance_contacts_person ON compliance_contacts (debtor_id, person, at);

ALTER TABLE compliance_verdicts ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON compliance_verdicts TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON compliance_contacts TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
