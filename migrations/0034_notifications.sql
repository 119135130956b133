-- Staff notifications (src/notifications/): in-app notices to a user — today the risk watch's new
-- entries, sent to the supervisors of the account's team — read in the header's bell and marked
-- read, and an e-mail digest of the unsent ones to the user's address when one is set. Internal
-- messages to staff, not contacts with debtors: they do not pass the compliance gate.

-- A user's own address for the digest (optional; set by the user).
ALTER TABLE users ADD COLUMN email text
  CHECK (email IS NULL OR (length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'));

CREATE TABLE notifications (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  kind text NOT NULL CHECK (kind IN ('risk_watch')),
  client_id bigint NOT NULL,
  account_id bigint REFERENCES accounts (id),
  -- the watch-list entry it is about (kind risk_watch)
  watch_id bigint REFERENCES risk_watch (id),
  rule text,
  detail text NOT NULL CHECK (length(detail) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at timestamptz,
  -- when the e-mail digest carrying it was accepted by the SMTP server
  emailed_at timestamptz,
  CHECK (kind <> 'risk_watch' OR (watch_id IS NOT NULL AND rule IS NOT NULL AND account_id IS NOT NULL)),
  -- a watch entry is told to each user once, however many nights it is seen
  UNIQUE (user_id, watch_id)
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_unsent ON notifications (user_id, id) WHERE emailed_at IS NULL;

ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON notifications TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
