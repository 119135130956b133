/**
 * `huikuan letters batch create | list | pdf`: queued letters closed into print batches through the
 * same service as the API, per client or for every client, filtered by kind, the PDF written with
 * --out, --json, and the refusals (nothing queued, bad options, unknown batch).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { main } from '../cli/main.ts';
import { gateFixture } from '../compliance/holds-fixture.ts';
import type { ChannelConfig } from './config.ts';
import { queueLetter } from './letters.ts';
import { batchFileName } from './letters-cli.ts';
import { daytime, testConfig } from './test-support.ts';

let t: TestDatabase;
let dir: string;
let config: ChannelConfig;
const fixtures: Awaited<ReturnType<typeof gateFixture>>[] = [];
let keys = 0;

async function withAddress() {
  const f = await gateFixture(t.db, 'CN', 'CN');
  await t.db
    .updateTable('debtors')
    .set({ address: '北京市朝阳区建国路88号', city: '北京', postal_code: '100022' })
    .where('id', '=', f.debtorId)
    .execute();
  fixtures.push(f);
  return f;
}

async function queue(f: Awaited<ReturnType<typeof gateFixture>>, n: number) {
  for (let i = 0; i < n; i++) {
    const { message } = await queueLetter(
      t.db,
      {
        accountId: f.accountId,
        kind: 'letter',
        at: daytime,
        actor: 'agent.wang',
        idempotencyKey: `letter-${++keys}`,
      },
      config,
    );
    expect(message.status).toBe('queued');
  }
}

beforeAll(async () => {
  t = await testDatabase();
  dir = await mkdtemp(join(tmpdir(), 'huikuan-letters-'));
  config = testConfig({
    agency: {
      name: '回款催收服务有限公司',
      address: ['上海市浦东新区世纪大道100号', '200120'],
      phone: null,
      email: null,
    },
  });
  await queue(await withAddress(), 2);
  await queue(await withAddress(), 1);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t?.drop();
});

const code = (i: number) => `C${i}`;

describe('huikuan letters batch', () => {
  it('create --client closes that client’s queue into one batch and writes its PDF', async () => {
    const cli = cliFor(t);
    const [first] = fixtures;
    const client = await t.db
      .selectFrom('clients')
      .select('code')
      .where('id', '=', first?.clientId ?? 0n)
      .executeTakeFirstOrThrow();
    const out = join(dir, 'one.pdf');
    const result = await cli([
      'letters',
      'batch',
      'create',
      '--client',
      client.code,
      '--out',
      out,
      '--user',
      'supervisor.zhao',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const body = result.json();
    expect(body).toMatchObject({ letters: 2, batches: [{ client: client.code, letters: 2, file: out }] });
    expect(body.pages).toBeGreaterThanOrEqual(3); // a cover sheet and a page a letter at least
    // not a terminal: no progress bar, nothing on stderr
    expect(result.stderr).toBe('');
    const pdf = await readFile(out);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBe(body.batches[0].bytes);
    const statuses = await sql<{ status: string }>`
      SELECT DISTINCT status FROM channel_messages WHERE client_id = ${first?.clientId ?? 0n} AND channel = 'letter'`.execute(
      t.db,
    );
    expect(statuses.rows).toEqual([{ status: 'printed' }]);
    const audited = await sql<{ actor: string }>`
      SELECT actor FROM audit_events WHERE action = 'channel_print_batch.closed' ORDER BY id DESC LIMIT 1`.execute(
      t.db,
    );
    expect(audited.rows.map((r) => r.actor)).toEqual(['supervisor.zhao']);

    // nothing left for that client: exit 1, invalid_state
    const again = await cli([
      'letters',
      'batch',
      'create',
      '--client',
      client.code,
      '--user',
      'supervisor.zhao',
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/No letters are queued for/);
  });

  it('create without --client takes every client with letters waiting; --kind filters', async () => {
    const cli = cliFor(t);
    await queue(fixtures[0] as Awaited<ReturnType<typeof gateFixture>>, 1);
    const none = await cli([
      'letters',
      'batch',
      'create',
      '--kind',
      'validation_notice',
      '--user',
      'supervisor.zhao',
    ]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/of kind validation_notice/);
    const out = join(dir, 'all.pdf');
    const result = await cli([
      'letters',
      'batch',
      'create',
      '--kind',
      'letter',
      '--out',
      out,
      '--user',
      'supervisor.zhao',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const body = result.json();
    expect(
      body.batches.map((b: { client: string; letters: number }) => [b.client, b.letters]).sort(),
    ).toEqual(
      [
        [code(fixtures.length - 1), 1],
        [code(fixtures.length), 1],
      ].sort(),
    );
    // two batches: a file each, named by the batch
    for (const batch of body.batches) {
      expect(batch.file).toBe(join(dir, `all-${batch.id}.pdf`));
      expect((await readFile(batch.file)).subarray(0, 5).toString()).toBe('%PDF-');
    }
  });

  it('list shows the batches newest first; pdf writes one; refusals name the problem', async () => {
    const cli = cliFor(t);
    const list = await cli(['letters', 'batch', 'list', '--json']);
    expect(list.code).toBe(0);
    const { items, total } = list.json();
    expect(total).toBe(3);
    expect(items.map((item: { id: number }) => item.id)).toEqual(
      [...items.map((item: { id: number }) => item.id)].sort((a, b) => b - a),
    );
    const out = join(dir, 'again.pdf');
    const pdf = await cli(['letters', 'batch', 'pdf', String(items[2].id), '--out', out, '--json']);
    expect(pdf.code, pdf.stderr).toBe(0);
    expect(pdf.json()).toEqual({ id: items[2].id, file: out, bytes: items[2].bytes });
    expect((await readFile(out)).equals(await readFile(join(dir, 'one.pdf')))).toBe(true);

    const human = await cli(['letters', 'batch', 'list', '--client', code(fixtures.length - 1)]);
    expect(human.stdout.trim().split('\n')).toHaveLength(2);
    expect((await cli(['letters', 'batch', 'pdf', '999999', '--out', out])).code).toBe(1);
    expect((await cli(['letters', 'batch', 'pdf', 'abc', '--out', out])).code).toBe(2);
    expect((await cli(['letters', 'batch', 'create', '--kind', 'postcard'])).code).toBe(2);
    expect((await cli(['letters', 'batch', 'create', '--template', '../x'])).code).toBe(2);
    // no letter was made from that template: nothing closed
    const byTemplate = await cli([
      'letters',
      'batch',
      'create',
      '--template',
      'reminder_v2',
      '--user',
      'supervisor.zhao',
    ]);
    expect(byTemplate.code).toBe(1);
    expect(byTemplate.stderr).toMatch(/from template reminder_v2/);
    // a letter made from that template (as a strategy's step makes it) is closed by it, alone
    const templated = await queueLetter(
      t.db,
      {
        accountId: (fixtures[0] as Awaited<ReturnType<typeof gateFixture>>).accountId,
        kind: 'letter',
        templateCode: 'reminder_v2',
        at: daytime,
        actor: 'agent.wang',
        idempotencyKey: `letter-${++keys}`,
      },
      config,
    );
    expect(templated.message.status).toBe('queued');
    const closed = await cli([
      'letters',
      'batch',
      'create',
      '--template',
      'reminder_v2',
      '--out',
      join(dir, 'templated.pdf'),
      '--user',
      'supervisor.zhao',
      '--json',
    ]);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.json().batches.map((b: { letters: number }) => b.letters)).toEqual([1]);
    expect((await cli(['letters', 'batch', 'list', '--limit', '0'])).code).toBe(2);
    const help = await cli(['letters', 'batch', 'create', '--help']);
    expect(help.stdout).toMatch(/--template <code>/);
    expect(help.stdout).toMatch(/FILE-<batch id>\.pdf/);
  });

  it('draws a progress bar on a terminal', async () => {
    const f = fixtures[0] as Awaited<ReturnType<typeof gateFixture>>;
    await queue(f, 1);
    let stderr = '';
    const previous = process.env.DATABASE_URL;
    process.env.DATABASE_URL = t.url;
    try {
      const code = await main(['letters', 'batch', 'create', '--client', 'C1', '--user', 'supervisor.zhao'], {
        stdout: () => {},
        stderr: (text) => {
          stderr += text;
        },
        interactive: true,
      });
      expect(code).toBe(0);
    } finally {
      if (previous === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = previous;
    }
    expect(stderr).toMatch(/print batches .* 1\/1 letters \| C1/);
  });

  it('names the files of several batches by their ids', () => {
    expect(batchFileName('/x/out.pdf', 7n, false)).toBe('/x/out.pdf');
    expect(batchFileName('/x/out.pdf', 7n, true)).toBe('/x/out-7.pdf');
    expect(batchFileName('/x/out', 7n, true)).toBe('/x/out-7');
  });
});
