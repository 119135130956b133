/**
 * Vitest global setup: decides which PostgreSQL server the suite runs against.
 * - DATABASE_URL set: that server (CI's second pass uses the machine's server on 127.0.0.1:5432).
 * - unset: the embedded PostgreSQL, started through the program's own code path in a fresh
 *   HUIKUAN_HOME, and stopped at the end.
 * Each test file then gets its own database on that server (test/db.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { acquireEmbedded } from '../src/db/embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    serverUrl: string;
    serverKind: 'embedded' | 'external';
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.DATABASE_URL;
  if (external) {
    project.provide('serverUrl', external);
    project.provide('serverKind', 'external');
    return;
  }
  const home = mkdtempSync(path.join(tmpdir(), 'huikuan-test-'));
  const server = await acquireEmbedded(home);
  project.provide('serverUrl', server.url);
  project.provide('serverKind', 'embedded');
  return async () => {
    await server.release();
    rmSync(home, { recursive: true, force: true });
  };
}
