/** What the allocation routes answer (src/allocation/routes.ts). */
export const methods = ['round_robin', 'balanced_count', 'balanced_balance', 'score_band'] as const;
export const skills = ['legal', 'high_balance', 'hardship', 'field'] as const;

export interface Match {
  region: boolean;
  language: boolean;
  skills: boolean;
}

export interface Rule {
  team_id: number;
  team: string;
  method: (typeof methods)[number];
  cap_per_agent: number | null;
  match: Match;
  high_balance_minor: number | null;
}

export interface PreviewAgent {
  agent: string;
  accounts_before: number;
  balance_before_minor: number;
  accounts_after: number;
  balance_after_minor: number;
}

export interface Preview {
  team_id: number;
  rule: Rule | null;
  agents: PreviewAgent[];
  assigned: number;
  waiting: number;
  waiting_by_reason: Record<string, number>;
  unassigned: {
    account_id: number;
    region: string | null;
    language: string | null;
    skills: string[];
    reason: string;
  }[];
}

export interface AgentQueue {
  agent: string;
  accounts: number;
  balance_minor: number;
  /** counted whole, beyond the rows the agent's queue lists */
  due_now: number;
  /** the agent's queue lists only its first queue_rows accounts */
  queue_capped: boolean;
  queue_rows: number;
}

export interface AgentAttributes {
  agent: string;
  display_name: string;
  languages: string[];
  regions: string[];
  skills: string[];
}

export interface QueueItem {
  account_id: number;
  ref: string;
  debtor_name: string;
  currency: string;
  balance_minor: number;
  tier: string;
}
