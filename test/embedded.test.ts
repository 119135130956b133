/**
 * The embedded PostgreSQL as users meet it: real `huikuan` processes with no DATABASE_URL sharing
 * one HUIKUAN_HOME — started once, shared by concurrent processes, reused next time, and stopped
 * when the last process leaves.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = path.resolve(import.meta.dirname, '..', 'bin', 'huikuan.js');
const home = mkdtempSync(path.join(tmpdir(), 'huikuan-embedded-'));

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HUIKUAN_HOME: home, HUIKUAN_USER: 'tester' };
  delete env.DATABASE_URL;
  return env;
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: childEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function serverPid(): number | null {
  const pidFile = path.join(home, 'pgdata', 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('embedded PostgreSQL (no DATABASE_URL)', () => {
  it('is created on first use, shared by concurrent processes, and stopped when the last leaves', async () => {
    const results = await Promise.all([
      run(['client', 'add', '--code', 'A', '--name', 'Client A', '--json']),
      run(['client', 'add', '--code', 'B', '--name', 'Client B', '--json']),
      run(['db', 'migrate', '--json']),
    ]);
    for (const result of results) expect(result.stderr).toBe('');
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(JSON.parse(results[2]?.stdout ?? '{}')).toMatchObject({
      embedded: true,
      current: expect.stringMatching(/\.sql$/),
    });
    expect(serverPid()).toBeNull();
  });

  it('keeps the data for the next start', async () => {
    const listed = await run(['client', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).clients.map((c: { code: string }) => c.code)).toEqual(['A', 'B']);
    expect(serverPid()).toBeNull();
  });

  it('stays up while a server process is attached and a CLI process comes and goes', async () => {
    const server: ChildProcess = spawn(process.execPath, [bin, 'serve', '--port', '0'], { env: childEnv() });
    let output = '';
    server.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 60_000);
      server.stdout?.on('data', () => {
        if (output.includes('Huikuan is running at')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // the nightly strategy run is scheduled by the server itself (pg-boss in the same database)
    expect(output).toMatch(/jobs: +nightly strategy run, cron "30 1 \* \* \*" Asia\/Shanghai \(pg-boss\)/);
    const address = /running at (\S+)/.exec(output)?.[1];
    const health = await (await fetch(`${address}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', database: 'embedded' });
    const pid = serverPid();
    expect(pid).not.toBeNull();
    const cli = await run(['client', 'list', '--json']);
    expect(cli.code).toBe(0);
    expect(serverPid()).toBe(pid);
    server.kill('SIGTERM');
    await new Promise((resolve) => server.on('close', resolve));
    expect(serverPid()).toBeNull();
  });
});
