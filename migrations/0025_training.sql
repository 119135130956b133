-- Training records (issue 4 point 6; src/training/): the courses the agency requires and each user's
-- completions with their expiry. An agent whose record is not current (a required course never
-- completed or expired) cannot take the workspace's contact actions (GB/T 45251-2025: trained and
-- assessed at least once a year). No course is required until the agency defines one.
CREATE TABLE training_courses (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  -- how long a completion counts
  validity_months integer NOT NULL CHECK (validity_months BETWEEN 1 AND 60),
  required boolean NOT NULL DEFAULT true,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE training_completions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username text NOT NULL,
  course_id bigint NOT NULL REFERENCES training_courses (id),
  completed_on date NOT NULL,
  expires_on date NOT NULL CHECK (expires_on > completed_on),
  -- the assessment's result, 0–100, when there was one
  score integer CHECK (score BETWEEN 0 AND 100),
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CHECK (recorded_by <> username)
);
CREATE INDEX training_completions_user ON training_completions (username, course_id, expires_on DESC);
