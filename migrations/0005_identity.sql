-- People: teams (with the clients assigned to them), users with argon2id password hashes and roles,
-- the clients a client user may see, sessions (random ids stored as SHA-256), and scoped API tokens.

CREATE TABLE teams (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_name ON teams (lower(name));

-- An agent sees only accounts of the clients assigned to its team.
CREATE TABLE team_clients (
  team_id bigint NOT NULL REFERENCES teams (id),
  client_id bigint NOT NULL REFERENCES clients (id),
  PRIMARY KEY (team_id, client_id)
);

CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username text NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  -- PHC string of argon2id; never the password itself
  password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  roles text[] NOT NULL CHECK (
    cardinality(roles) >= 1
    AND roles <@ ARRAY['admin', 'supervisor', 'agent', 'finance', 'compliance', 'client']
    -- a client user is never also staff
    AND (NOT roles @> ARRAY['client'] OR cardinality(roles) = 1)
  ),
  team_id bigint REFERENCES teams (id),
  active boolean NOT NULL DEFAULT true,
  must_change_password boolean NOT NULL DEFAULT false,
  failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  locked_until timestamptz,
  approval_limit_minor bigint CHECK (approval_limit_minor >= 0),
  locale text NOT NULL DEFAULT 'zh-CN' CHECK (locale IN ('zh-CN', 'en')),
  password_changed_at timestamptz,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

-- The clients a client user belongs to (its whole scope).
CREATE TABLE user_clients (
  user_id bigint NOT NULL REFERENCES users (id),
  client_id bigint NOT NULL REFERENCES clients (id),
  PRIMARY KEY (user_id, client_id)
);

CREATE TABLE sessions (
  -- SHA-256 of the cookie's 256-bit random value: a database reader cannot replay a session
  id_hash bytea PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  -- absolute expiry; the idle expiry is last_seen_at + 30 minutes
  expires_at timestamptz NOT NULL,
  ip text,
  user_agent text
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  -- SHA-256 of the secret; the secret is shown once at creation
  token_hash bytea NOT NULL UNIQUE,
  prefix text NOT NULL,
  scopes text[] NOT NULL CHECK (cardinality(scopes) >= 1),
  expires_at timestamptz,
  revoked_at timestamptz,
  revoked_by text,
  last_used_at timestamptz,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
