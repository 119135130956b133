/**
 * Server-level helpers shared by the global setup (which creates the run's template database and drops
 * the run's databases) and test/db.ts (which copies the template once per file). Imports nothing from
 * vitest: the global setup runs in vitest's main process, outside any test context.
 */
import pg from 'pg';

/** `url` pointing at `database` on the same server. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** One connection to the server's default database for the length of `work` (CREATE/DROP DATABASE). */
export async function admin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
