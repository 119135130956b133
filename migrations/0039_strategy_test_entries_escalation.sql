-- Champion / challenger entries and escalations that move the account (issue 5; src/strategy/strategies.ts,
-- experiments.ts; src/allocation/service.ts moveToTeams).

-- Which account entered which arm of a test when: one row per strategy version, test segment and account,
-- written by the nightly step the first night the account is in the segment under that version (the arm of
-- that night; arms are a seeded hash, so they do not change). The results read this instead of scanning the
-- whole decision log for every test. Only segments that are tests (a test id and more than one arm).
CREATE TABLE strategy_test_entries (
  strategy_version_id bigint NOT NULL REFERENCES strategy_versions (id),
  segment text NOT NULL,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  arm text NOT NULL,
  entered_on date NOT NULL,
  PRIMARY KEY (strategy_version_id, segment, client_id, account_id)
);

-- the entries of the runs so far, from the decision log: the first decision in each test segment
INSERT INTO strategy_test_entries (strategy_version_id, segment, client_id, account_id, arm, entered_on)
SELECT DISTINCT ON (d.strategy_version_id, d.segment, d.client_id, d.account_id)
       d.strategy_version_id, d.segment, d.client_id, d.account_id, d.arm, d.run_date
  FROM strategy_decisions d
 WHERE EXISTS (SELECT FROM strategy_versions v, jsonb_array_elements(v.document -> 'segments') s
                WHERE v.id = d.strategy_version_id AND s ->> 'code' = d.segment
                  AND jsonb_typeof(s -> 'test_id') = 'string' AND jsonb_array_length(s -> 'arms') > 1)
 ORDER BY d.strategy_version_id, d.segment, d.client_id, d.account_id, d.run_date;

ALTER TABLE strategy_test_entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON strategy_test_entries TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));

-- An escalation step moves the account to its team (调案 through the allocation service): when it moved
-- (NULL: not yet). Held back (留案: an open promise or an active plan with its agent), or a team that does
-- not exist or does not serve the client, leaves it NULL with the reason in `reasons`; the next nights try
-- again until it moves or the task closes.
ALTER TABLE strategy_actions ADD COLUMN moved_at timestamptz;
