/** Kysely types of the identity tables (migrations/0005_identity.sql), merged into Database in src/db/schema.ts. */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface TeamsTable {
  id: Generated<bigint>;
  name: string;
  created_by: string;
  created_at: Timestamp;
}

export interface TeamClientsTable {
  team_id: bigint;
  client_id: bigint;
}

export interface UsersTable {
  id: Generated<bigint>;
  username: string;
  display_name: string;
  password_hash: string;
  roles: string[];
  team_id: bigint | null;
  active: Generated<boolean>;
  must_change_password: Generated<boolean>;
  failed_attempts: Generated<number>;
  locked_until: Timestamp | null;
  approval_limit_minor: bigint | null;
  locale: Generated<'zh-CN' | 'en'>;
  password_changed_at: Timestamp | null;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UserClientsTable {
  user_id: bigint;
  client_id: bigint;
}

export interface SessionsTable {
  id_hash: Buffer;
  user_id: bigint;
  csrf_token: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface ApiTokensTable {
  id: Generated<bigint>;
  user_id: bigint;
  name: string;
  token_hash: Buffer;
  prefix: string;
  scopes: string[];
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoked_by: string | null;
  last_used_at: Timestamp | null;
  created_by: string;
  created_at: Timestamp;
}

export interface IdentityTables {
  teams: TeamsTable;
  team_clients: TeamClientsTable;
  users: UsersTable;
  user_clients: UserClientsTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
}
