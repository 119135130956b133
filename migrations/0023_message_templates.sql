-- Message templates (issue 4 point 4; src/templates/): versioned texts per code, channel and language,
-- proposed by one user and approved by another (maker-checker) before anything can be sent from them.
-- Rows are never updated but for their decision, and never deleted: a sent message names the version.
CREATE TABLE message_templates (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
  channel text NOT NULL CHECK (channel IN ('sms', 'email', 'letter')),
  language text NOT NULL CHECK (language IN ('zh-CN', 'en')),
  version integer NOT NULL CHECK (version > 0),
  subject text,
  body text NOT NULL,
  variables text[] NOT NULL,
  status text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'rejected')),
  reason text NOT NULL,
  proposed_by text NOT NULL,
  proposed_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  decision_reason text,
  UNIQUE (code, channel, language, version),
  CHECK ((status = 'proposed') = (decided_at IS NULL)),
  CHECK (decided_by IS NULL OR decided_by <> proposed_by)
);

-- the version in force: the newest approved one
CREATE INDEX message_templates_in_force ON message_templates (code, channel, language, version DESC)
  WHERE status = 'approved';

CREATE FUNCTION message_templates_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'message templates are never deleted (template %)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.status <> 'proposed' OR NEW.code <> OLD.code OR NEW.channel <> OLD.channel OR NEW.language <> OLD.language
     OR NEW.version <> OLD.version OR NEW.subject IS DISTINCT FROM OLD.subject OR NEW.body <> OLD.body THEN
    RAISE EXCEPTION 'a message template''s text is fixed once proposed and its decision once made (template %)', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER message_templates_guard BEFORE UPDATE OR DELETE ON message_templates
  FOR EACH ROW EXECUTE FUNCTION message_templates_guard();
