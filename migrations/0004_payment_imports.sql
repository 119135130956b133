-- Payment file imports (回款文件): one row per run of `huikuan import payments`, with the file's
-- identity, who ran it and what came of it. The postings themselves are the ledger's; their
-- journal entries carry source = 'payment_import:<id>'.
CREATE TABLE payment_imports (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients (id),
  file_name text NOT NULL,
  file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  file_format text NOT NULL,
  file_encoding text,
  byte_size bigint NOT NULL CHECK (byte_size >= 0),
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  rows_total integer NOT NULL DEFAULT 0,
  posted integer NOT NULL DEFAULT 0,
  reversed integer NOT NULL DEFAULT 0,
  duplicates integer NOT NULL DEFAULT 0,
  rejected integer NOT NULL DEFAULT 0,
  currency char(3),
  posted_total_minor bigint NOT NULL DEFAULT 0,
  reversed_total_minor bigint NOT NULL DEFAULT 0,
  commission_minor bigint NOT NULL DEFAULT 0,
  error_file text,
  failure text,
  imported_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX payment_imports_client ON payment_imports (client_id, started_at DESC);
CREATE INDEX payment_imports_file ON payment_imports (client_id, file_sha256);
