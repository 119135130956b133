-- Channels (src/channels), the remaining ones: letters, calls and the debtor page.
-- A letter and a call are channel_messages rows like an e-mail or an SMS — same idempotency key, same
-- gate verdict, same place on the account's timeline — whose contact point is the debtor's postal
-- address (a letter: no contact point row) or a phone (a call). A letter's PDF is kept in the
-- database (channel_letters.pdf, at most 4 MB) until a print batch closes the queue into one PDF
-- (channel_print_batches.pdf). A call's PBX state, duration, recording and disposition are in
-- channel_calls. What a debtor does on the debtor page (a dispute, an opt-out, a call-back request)
-- is a channel_replies row of channel 'page', so the agent sees it on the timeline.

ALTER TABLE channel_messages ALTER COLUMN contact_point_id DROP NOT NULL;
ALTER TABLE channel_messages DROP CONSTRAINT channel_messages_channel_check;
ALTER TABLE channel_messages ADD CONSTRAINT channel_messages_channel_check
  CHECK (channel IN ('email', 'sms', 'letter', 'call'));
ALTER TABLE channel_messages DROP CONSTRAINT channel_messages_provider_check;
ALTER TABLE channel_messages ADD CONSTRAINT channel_messages_provider_check
  CHECK (provider IN ('smtp', 'aliyun', 'twilio', 'print', 'asterisk'));
-- only a letter goes without a contact point (the debtor's postal address)
ALTER TABLE channel_messages ADD CONSTRAINT channel_messages_point_check
  CHECK (contact_point_id IS NOT NULL OR channel = 'letter');
-- a letter's status: queued (PDF stored, waiting for a print batch), printed
ALTER TABLE channel_messages DROP CONSTRAINT channel_messages_status_check;
ALTER TABLE channel_messages ADD CONSTRAINT channel_messages_status_check
  CHECK (status IN ('pending', 'blocked', 'sending', 'sent', 'failed', 'delivered', 'undelivered',
                    'queued', 'printed'));

ALTER TABLE channel_replies DROP CONSTRAINT channel_replies_channel_check;
ALTER TABLE channel_replies ADD CONSTRAINT channel_replies_channel_check
  CHECK (channel IN ('email', 'sms', 'page'));

-- One print run of one client's queued letters: the whole PDF (renderPrintBatch), kept for download.
CREATE TABLE channel_print_batches (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  letters integer NOT NULL CHECK (letters BETWEEN 1 AND 2000),
  pages integer NOT NULL CHECK (pages > 0),
  pdf bytea NOT NULL CHECK (octet_length(pdf) <= 512 * 1024 * 1024),
  closed_by text NOT NULL,
  closed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channel_print_batches_client ON channel_print_batches (client_id, id);

-- A letter: what was rendered (the renderer's input, amounts as text, so a batch renders it again
-- exactly), the letter's own PDF, and the batch that printed it.
CREATE TABLE channel_letters (
  message_id bigint PRIMARY KEY REFERENCES channel_messages (id),
  client_id bigint NOT NULL REFERENCES clients (id),
  account_id bigint NOT NULL REFERENCES accounts (id),
  kind text NOT NULL CHECK (kind IN ('letter', 'validation_notice')),
  input jsonb NOT NULL,
  pdf bytea NOT NULL CHECK (octet_length(pdf) <= 4 * 1024 * 1024),
  pages integer NOT NULL CHECK (pages > 0),
  -- the US validation notice's dates, as printed and recorded with the holds module
  sent_on date,
  period_ends_on date,
  batch_id bigint REFERENCES channel_print_batches (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channel_letters_queue ON channel_letters (client_id, message_id) WHERE batch_id IS NULL;
CREATE INDEX channel_letters_batch ON channel_letters (batch_id) WHERE batch_id IS NOT NULL;

-- A click-to-call through the PBX: the agent's extension, the PBX's ids, when it was answered and
-- ended, the hang-up cause, the recording's file name and the agent's disposition.
CREATE TABLE channel_calls (
  message_id bigint PRIMARY KEY REFERENCES channel_messages (id),
  client_id bigint NOT NULL REFERENCES clients (id),
  account_id bigint NOT NULL REFERENCES accounts (id),
  extension text NOT NULL CHECK (extension ~ '^[0-9A-Za-z_-]{1,20}$'),
  action_id text NOT NULL UNIQUE CHECK (length(action_id) <= 100),
  pbx_call_id text CHECK (length(pbx_call_id) <= 100),
  state text NOT NULL DEFAULT 'dialling' CHECK (state IN ('dialling', 'answered', 'ended', 'failed')),
  answered_at timestamptz,
  ended_at timestamptz,
  duration_seconds integer CHECK (duration_seconds >= 0),
  hangup_cause text CHECK (length(hangup_cause) <= 100),
  recording_ref text CHECK (length(recording_ref) <= 500),
  -- conversation | connected_no_answer | voicemail | no_answer | busy | not_in_service
  disposition text CHECK (length(disposition) <= 40),
  disposition_by text,
  note text CHECK (length(note) <= 2000)
);
CREATE INDEX channel_calls_pbx ON channel_calls (pbx_call_id) WHERE pbx_call_id IS NOT NULL;

ALTER TABLE channel_print_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE channel_letters ENABLE ROW LEVEL SECURITY;
ALTER TABLE channel_calls ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON channel_print_batches TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON channel_letters TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON channel_calls TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
