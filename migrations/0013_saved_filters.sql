-- Saved filters: a user keeps a named set of a list's filters (the account list's client, batch,
-- status, bucket, balance range and search) to pick again later. Per user, never shared; the name is
-- unique per user and list. The filters are the list's query parameters as a JSON object, checked by
-- the API (src/filters/model.ts) before they are stored.

CREATE TABLE saved_filters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  list text NOT NULL CHECK (list IN ('accounts')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  filters jsonb NOT NULL CHECK (jsonb_typeof(filters) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, list, name)
);
