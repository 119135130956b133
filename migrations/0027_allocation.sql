-- Allocation (分案) and work queues (issue 5 points 4 and 5; src/allocation/): which team and agent
-- work each live account, how new accounts are shared out (rules per team), reassignment (调案) with a
-- reason, and the history of every move. An account with an open promise or an active plan stays
-- with its agent (留案) when accounts are shared out again.
CREATE TABLE allocation_rules (
  team_id bigint PRIMARY KEY REFERENCES teams (id),
  -- round_robin: in turn; balanced_count: to the agent with the fewest accounts;
  -- balanced_balance: the largest balances first, each to the agent holding the least balance
  method text NOT NULL CHECK (method IN ('round_robin', 'balanced_count', 'balanced_balance')),
  -- accounts an agent holds at most (NULL: no cap); past it the account waits unassigned
  cap_per_agent integer CHECK (cap_per_agent > 0),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE account_assignments (
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  team_id bigint NOT NULL REFERENCES teams (id),
  agent text,
  assigned_at timestamptz NOT NULL DEFAULT now(),
  assigned_by text NOT NULL,
  PRIMARY KEY (client_id, account_id)
);
CREATE INDEX account_assignments_agent ON account_assignments (agent) WHERE agent IS NOT NULL;
CREATE INDEX account_assignments_team ON account_assignments (team_id);

CREATE TABLE assignment_history (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id bigint NOT NULL,
  account_id bigint NOT NULL REFERENCES accounts (id),
  kind text NOT NULL CHECK (kind IN ('allocated', 'reassigned')),
  from_team bigint,
  from_agent text,
  to_team bigint NOT NULL,
  to_agent text,
  reason text,
  by text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assignment_history_account ON assignment_history (account_id, id);

ALTER TABLE account_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE assignment_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY client_scope ON account_assignments TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));
CREATE POLICY client_scope ON assignment_history TO huikuan_app
  USING ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]))
  WITH CHECK ((SELECT huikuan_client_scope()) IS NULL OR client_id = ANY ((SELECT huikuan_client_scope())::bigint[]));
