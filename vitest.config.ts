import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Three projects (docs/decisions/0013-suite-passes.md):
 * - `unit`: test files that use no database of the suite's server (they never reach test/db.ts); they
 *   run once, in one process (isolate: false), as their results do not depend on the server;
 * - `db`: the files that do, less the browser tests: these run in both of CI's passes;
 * - `browser`: test/browser, Chromium against the real server, run on the embedded server only.
 * `vitest run` runs all three; CI's server pass runs `vitest run --project db`.
 * The global setup (the server, the template database) is the root's: it runs once for all projects.
 */
const root = import.meta.dirname;
const include = ['src/**/*.test.ts', 'test/**/*.test.ts'];
const browser = ['test/browser/**/*.test.ts'];
const browserDir = path.join(root, 'test/browser');
const dbHelper = path.join(root, 'test/db.ts');

/** Whether `file` imports test/db.ts, directly or through the modules it imports (relative imports). */
function reachesDatabase(file: string, seen = new Set<string>()): boolean {
  if (file === dbHelper) return true;
  if (seen.has(file) || !existsSync(file) || !statSync(file).isFile()) return false;
  seen.add(file);
  // type-only imports load nothing
  const text = readFileSync(file, 'utf8').replace(/(?:import|export)\s+type\s[^;]*;/g, '');
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    if (reachesDatabase(path.resolve(path.dirname(file), match[1] as string), seen)) return true;
  }
  return false;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return file === browserDir ? [] : testFiles(file);
    return entry.name.endsWith('.test.ts') ? [file] : [];
  });
}

const unit = ['src', 'test']
  .flatMap((dir) => testFiles(path.join(root, dir)))
  .filter((file) => !reachesDatabase(file))
  .map((file) => path.relative(root, file));

const shared = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // a fixed test data key (PII encryption); never a real one
  env: { HUIKUAN_DATA_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' },
};

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    maxWorkers: 2,
    projects: [
      { test: { ...shared, name: 'unit', include: unit, pool: 'forks', isolate: false } },
      // threads: a file's imports (the whole app through src/cli/main.ts) reach the worker faster than
      // through a child process's pipe, about a third of a small file's time
      { test: { ...shared, name: 'db', include, exclude: [...unit, ...browser], pool: 'threads' } },
      { test: { ...shared, name: 'browser', include: browser, pool: 'forks' } },
    ],
  },
});
