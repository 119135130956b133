-- The audit trail: append-only, hash-chained events. Every row's hash is SHA-256 over a canonical
-- serialisation of its fields and the previous row's hash (audit_canonical below; the verifier in
-- src/audit/service.ts recomputes it in Node from the same field texts). Appends are serialised by an
-- advisory lock and the one-row chain head, so two transactions can never fork the chain, and ids
-- are drawn under that lock so id order is chain order.

CREATE SEQUENCE audit_events_id_seq AS bigint;

CREATE TABLE audit_events (
  id bigint PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  actor_user_id bigint,
  action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]*$'),
  entity_type text NOT NULL,
  entity_id text,
  client_id bigint,
  before jsonb,
  after jsonb,
  ip text,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
ALTER SEQUENCE audit_events_id_seq OWNED BY audit_events.id;
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor, id);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id, id);
CREATE INDEX audit_events_client ON audit_events (client_id, id) WHERE client_id IS NOT NULL;

-- The chain's head: the last id and hash. Its row lock also stops a REPEATABLE READ transaction
-- from appending on a stale view of the chain (it fails with a serialisation error instead).
CREATE TABLE audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_id bigint,
  last_hash text NOT NULL
);
INSERT INTO audit_head (last_id, last_hash) VALUES (NULL, repeat('0', 64));

-- Each field as "<octets>:<text>" (or "~" for NULL), one per line, in a fixed order, ending with
-- prev_hash. Timestamps as UTC ISO-8601 with microseconds; jsonb in PostgreSQL's own canonical text.
CREATE FUNCTION audit_canonical(e audit_events) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT string_agg(CASE WHEN v IS NULL THEN '~' ELSE octet_length(v) || ':' || v END, E'\n' ORDER BY n)
  FROM unnest(ARRAY[
    e.id::text,
    to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    e.actor,
    e.actor_user_id::text,
    e.action,
    e.entity_type,
    e.entity_id,
    e.client_id::text,
    e.before::text,
    e.after::text,
    e.ip,
    e.prev_hash
  ]) WITH ORDINALITY AS f (v, n)
$$;

CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock(7303011956);
  SELECT last_hash INTO head_hash FROM audit_head FOR UPDATE;
  NEW.id := nextval('audit_events_id_seq');
  NEW.at := coalesce(NEW.at, now());
  NEW.prev_hash := head_hash;
  NEW.hash := encode(sha256(convert_to(audit_canonical(NEW), 'UTF8')), 'hex');
  UPDATE audit_head SET last_id = NEW.id, last_hash = NEW.hash;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_chain();

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

GRANT SELECT, INSERT ON audit_events TO huikuan_app;
GRANT SELECT, UPDATE ON audit_head TO huikuan_app;
GRANT USAGE ON SEQUENCE audit_events_id_seq TO huikuan_app;
