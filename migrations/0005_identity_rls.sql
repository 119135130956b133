-- Row-level security as a second line of defence behind the routes' own scope checks.
-- Requests run their queries as the NOLOGIN role huikuan_app (SET LOCAL ROLE in withClientScope,
-- src/identity/rls.ts) with the setting huikuan.client_scope = a comma list of client ids, 'none', or
-- 'all'; unset means all, so the CLI and jobs (which connect as the owner and are not subject to
-- these policies anyway) keep working. Superusers and table owners bypass RLS: hence the role switch.

-- Roles are cluster-wide and many databases (tests) may run this at once.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'huikuan_app') THEN
    BEGIN
      CREATE ROLE huikuan_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
  IF NOT pg_has_role(current_user, 'huikuan_app', 'MEMBER') THEN
    EXECUTE format('GRANT huikuan_app TO %I', current_user);
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO huikuan_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO huikuan_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO huikuan_app;
-- tables of later migrations too
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO huikuan_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO huikuan_app;

-- NULL = every client; otherwise the ids of the clients in scope ('none' = no client).
CREATE FUNCTION huikuan_client_scope() RETURNS bigint[] LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN coalesce(current_setting('huikuan.client_scope', true), '') IN ('', 'all') THEN NULL::bigint[]
    WHEN current_setting('huikuan.client_scope', true) = 'none' THEN '{}'::bigint[]
    ELSE string_to_array(current_setting('huikuan.client_scope', true), ',')::bigint[]
  END
$$;

ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE debtors ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact_points ENABLE ROW LEVEL SECURITY;
ALTER TABLE journal_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE postings ENABLE ROW LEVEL SECURITY;
ALTER TABLE placement_batches ENABLE ROW LEVEL SECURITY;

CREATE POLICY client_scope ON accounts TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON debtors TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON contact_points TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON journal_entries TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON postings TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
CREATE POLICY client_scope ON placement_batches TO huikuan_app
  USING (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()))
  WITH CHECK (huikuan_client_scope() IS NULL OR client_id = ANY (huikuan_client_scope()));
