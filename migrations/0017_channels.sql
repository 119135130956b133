-- Channels (src/channels): e-mail over SMTP and SMS through a provider. Every message attempt is a
-- row with the gate's verdict (blocked attempts too), its idempotency key and the provider's message
-- id; what the provider reports afterwards (delivery receipts) and what the person sends back
-- (replies) are rows of their own, each keyed so that a webhook delivered twice is recorded once.
-- The secrets that sign webhooks of providers whose pushes Huikuan verifies with its own HMAC are
-- kept here, encrypted with the data key (src/accounts/pii.ts).

CREATE TABLE channel_messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  account_id bigint NOT NULL REFERENCES accounts (id),
  debtor_id bigint NOT NULL REFERENCES debtors (id),
  contact_point_id bigint NOT NULL REFERENCES contact_points (id),
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  provider text NOT NULL CHECK (provider IN ('smtp', 'aliyun', 'twilio')),
  -- a retried job or request with the same key gets this row back and sends nothing
  idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  purpose text NOT NULL,
  party text NOT NULL,
  actor text NOT NULL,
  recipient_masked text NOT NULL,
  subject text CHECK (length(subject) <= 200),
  body_text text NOT NULL CHECK (length(body_text) <= 20000),
  body_html text CHECK (length(body_html) <= 100000),
  template_code text CHECK (length(template_code) <= 100),
  template_params jsonb,
  -- the gate's verdict (null only while the row is claimed and the gate has not answered yet)
  verdict_id bigint REFERENCES compliance_verdicts (id),
  verdict text CHECK (verdict IN ('allow', 'deny', 'allow_with_conditions')),
  reasons text[] NOT NULL DEFAULT '{}',
  -- the contact the gate recorded when it allowed the message
  contact_id bigint REFERENCES compliance_contacts (id),
  -- pending: claimed, not yet sent; sending: handed to the provider (never sent again without
  -- knowing the answer); blocked: the gate denied it; failed: the provider refused it or could not be
  -- reached within the retries; sent → delivered / undelivered from the provider's receipts
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'blocked', 'sending', 'sent', 'failed', 'delivered', 'undelivered')),
  provider_message_id text CHECK (length(provider_message_id) <= 200),
  send_attempts smallint NOT NULL DEFAULT 0,
  error text CHECK (length(error) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  claimed_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  status_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, provider_message_id)
);
CREATE INDEX channel_messages_account ON channel_messages (account_id, id);
CREATE INDEX channel_messages_point ON channel_messages (contact_point_id, id);

-- What a provider reported about a message: one row per provider status (a repeated webhook adds
-- nothing). A receipt that arrives before the send has stored the provider's id waits here with
-- message_id null and is attached when the id is stored.
CREATE TABLE channel_delivery_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint,
  account_id bigint,
  message_id bigint REFERENCES channel_messages (id),
  provider text NOT NULL,
  provider_message_id text NOT NULL CHECK (length(provider_message_id) <= 200),
  provider_status text NOT NULL CHECK (length(provider_status) <= 100),
  status text NOT NULL CHECK (status IN ('sent', 'delivered', 'undelivered')),
  error_code text CHECK (length(error_code) <= 100),
  -- the message's status change this receipt made (null when it changed nothing: late or repeated)
  from_status text,
  to_status text,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, provider_message_id, provider_status)
);
CREATE INDEX channel_delivery_events_account ON channel_delivery_events (account_id, id)
  WHERE account_id IS NOT NULL;
CREATE INDEX channel_delivery_events_waiting ON channel_delivery_events (provider, provider_message_id)
  WHERE message_id IS NULL;

-- What came back from a person: one row per provider reply and matched contact point (a number
-- shared by two debtors is recorded on both). opt_out: the reply was TD / 退订 / STOP.
CREATE TABLE channel_replies (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint,
  account_id bigint REFERENCES accounts (id),
  debtor_id bigint REFERENCES debtors (id),
  contact_point_id bigint REFERENCES contact_points (id),
  message_id bigint REFERENCES channel_messages (id),
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  provider text NOT NULL,
  provider_reply_id text NOT NULL CHECK (length(provider_reply_id) <= 200),
  from_masked text NOT NULL,
  body text NOT NULL CHECK (length(body) <= 2000),
  opt_out boolean NOT NULL,
  received_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE NULLS NOT DISTINCT (provider, provider_reply_id, contact_point_id)
);
CREATE INDEX channel_replies_account ON channel_replies (account_id, id) WHERE account_id IS NOT NULL;

-- Secrets that sign a provider's webhooks (the HMAC Huikuan documents for the aliyun adapter):
-- created by an admin, shown once; a newer one leaves the older valid until expires_at (rotation).
CREATE TABLE channel_webhook_secrets (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider text NOT NULL CHECK (provider IN ('aliyun', 'twilio')),
  secret_enc bytea NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz
);
CREATE INDEX channel_webhook_secrets_provider ON channel_webhook_secrets (provider, id);

ALTER TABLE channel_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE channel_delivery_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE channel_replies ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON channel_messages TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON channel_delivery_events TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON channel_replies TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
-- webhook secrets are read by the webhook routes only (as the owner), never under a user's scope
REVOKE ALL ON channel_webhook_secrets FROM huikuan_app;
