/**
 * Letters end to end: through the rule gate (a denied letter is recorded blocked and no PDF is
 * made), the PDF stored and queued, a print batch of three letters read back with pdf.js as one PDF
 * with three letters; the US validation notice recorded with the holds module with the dates printed
 * on it; the routes (queue, close, list, download) with their roles and client scope.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { addHold, recordConsent, validationNotice } from '../compliance/holds.ts';
import { gateFixture } from '../compliance/holds-fixture.ts';
import { missingFrom, readPdf } from '../documents/test-support.ts';
import type { Api } from '../server/context.ts';
import type { ChannelConfig } from './config.ts';
import { closePrintBatch, letterPdf, queuedLetters, queueLetter } from './letters.ts';
import { daytime, testCallers, testConfig, testServer } from './test-support.ts';

let t: TestDatabase;
let app: Api;
let config: ChannelConfig;
const { caller, callers } = testCallers();
const fixed = new Date('2026-03-02T02:00:00Z');

beforeAll(async () => {
  t = await testDatabase();
  config = testConfig({
    agency: {
      name: '回款催收服务有限公司',
      address: ['上海市浦东新区世纪大道100号', '200120'],
      phone: '400-800-0000',
      email: 'service@agency.test',
    },
  });
  app = await testServer(t, config, callers);
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

/** The gate's fixture with the debtor's postal address. */
async function withAddress(jurisdiction = 'CN', country = 'CN') {
  const f = await gateFixture(t.db, jurisdiction, country);
  await t.db
    .updateTable('debtors')
    .set(
      country === 'US'
        ? {
            name: 'John Smith',
            address: '12 Elm Street',
            city: 'Springfield',
            region: 'IL',
            postal_code: '62701',
          }
        : { address: '北京市朝阳区建国路88号', city: '北京', postal_code: '100022' },
    )
    .where('id', '=', f.debtorId)
    .execute();
  return f;
}

async function count(table: string, clientId: bigint): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE client_id = ${clientId}`.execute(t.db);
  return rows[0]?.n ?? -1;
}

describe('letters', () => {
  it('a letter the gate denies is recorded blocked and no PDF is made or queued', async () => {
    const f = await withAddress();
    await addHold(
      t.db,
      { accountId: f.accountId, kind: 'bankruptcy', source: 'letter', startsAt: '2026-01-01' },
      'compliance.li',
    );
    const { message, repeated } = await queueLetter(
      t.db,
      { accountId: f.accountId, kind: 'letter', at: daytime, actor: 'agent.wang' },
      config,
    );
    expect(repeated).toBe(false);
    expect(message).toMatchObject({
      channel: 'letter',
      provider: 'print',
      contact_point_id: null,
      status: 'blocked',
      verdict: 'deny',
      reasons: ['hold_bankruptcy'],
    });
    expect(await count('channel_letters', f.clientId)).toBe(0);
    expect(await queuedLetters(t.db, f.clientId)).toBe(0);
    await expect(letterPdf(t.db, message.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(closePrintBatch(t.db, f.clientId, { actor: 'supervisor.zhao' })).rejects.toMatchObject({
      code: 'invalid_state',
      details: { reason: 'queue_empty' },
    });
  });

  it('refuses a letter to a debtor without a postal address before the gate', async () => {
    const f = await gateFixture(t.db, 'CN');
    await expect(
      queueLetter(t.db, { accountId: f.accountId, kind: 'letter', at: daytime, actor: 'agent.wang' }, config),
    ).rejects.toMatchObject({ code: 'invalid_state', details: { reason: 'no_postal_address' } });
    expect(await count('compliance_verdicts', f.clientId)).toBe(0);
  });

  it('three queued letters print as one PDF with a cover and three letters; they become printed', async () => {
    const f = await withAddress();
    const second = await f.addAccount('2');
    const third = await f.addAccount('3');
    const ids: bigint[] = [];
    for (const accountId of [f.accountId, second, third]) {
      const { message } = await queueLetter(
        t.db,
        { accountId, kind: 'letter', at: daytime, actor: 'agent.wang', creationDate: fixed },
        config,
      );
      expect(message).toMatchObject({ status: 'queued', verdict: 'allow', channel: 'letter' });
      ids.push(message.id);
    }
    // the letter's own PDF is kept
    const own = await readPdf((await letterPdf(t.db, ids[0] ?? 0n)).pdf);
    expect(
      missingFrom(own.pages.join(' '), ['张三', '北京市朝阳区建国路88号', '1,000.00', '受托催收机构']),
    ).toEqual([]);
    expect(await queuedLetters(t.db, f.clientId)).toBe(3);

    const batch = await closePrintBatch(
      t.db,
      f.clientId,
      { actor: 'supervisor.zhao' },
      { creationDate: fixed },
    );
    expect(batch).toMatchObject({ client_id: f.clientId, letters: 3, closed_by: 'supervisor.zhao' });
    const stored = await t.db
      .withTables<import('./tables.ts').ChannelTables>()
      .selectFrom('channel_print_batches')
      .select('pdf')
      .where('id', '=', batch.id)
      .executeTakeFirstOrThrow();
    const read = await readPdf(stored.pdf);
    expect(read.pages).toHaveLength(batch.pages);
    // the cover lists three letters; every account's reference is on its own letter
    expect(read.pages[0]).toContain('3 letters');
    const letterPages = read.pages.slice(1);
    for (const ref of [`${f.clientCode}-1`, `${f.clientCode}-2`, `${f.clientCode}-3`]) {
      expect(missingFrom(read.pages[0] ?? '', [ref])).toEqual([]);
      expect(letterPages.filter((page) => page.replace(/\s+/g, '').includes(ref))).not.toHaveLength(0);
    }
    expect(letterPages.filter((page) => page.includes('还款提醒函'))).toHaveLength(3);
    const statuses = await t.db
      .withTables<import('./tables.ts').ChannelTables>()
      .selectFrom('channel_messages')
      .select('status')
      .where('id', 'in', ids)
      .execute();
    expect(statuses.map((row) => row.status)).toEqual(['printed', 'printed', 'printed']);
    expect(await queuedLetters(t.db, f.clientId)).toBe(0);
  });

  it('the US validation notice is recorded with the holds module with the dates printed on it, once', async () => {
    const f = await withAddress('US', 'US');
    // a Monday, 15:00 in New York and 10:00 in Honolulu (the gate reads every US zone without the debtor's)
    const at = new Date('2026-03-02T20:00:00Z');
    const { message, notice } = await queueLetter(
      t.db,
      { accountId: f.accountId, kind: 'validation_notice', at, actor: 'agent.smith', creationDate: fixed },
      config,
    );
    expect(message).toMatchObject({ status: 'queued', channel: 'letter' });
    // sent Monday 2 March; receipt assumed five business days later (Monday 9 March); + 30 days
    expect(notice).toEqual({
      sentOn: '2026-03-02',
      assumedReceipt: '2026-03-09',
      periodEndsOn: '2026-04-08',
    });
    expect(await validationNotice(t.db, f.accountId)).toMatchObject({
      sentOn: '2026-03-02',
      periodEndsOn: '2026-04-08',
      recordedBy: 'agent.smith',
    });
    const pdf = await readPdf((await letterPdf(t.db, message.id)).pdf);
    expect(missingFrom(pdf.pages.join(' '), ['John Smith', '12 Elm Street', 'April 8, 2026'])).toEqual([]);
    await expect(
      queueLetter(
        t.db,
        { accountId: f.accountId, kind: 'validation_notice', at, actor: 'agent.smith' },
        config,
      ),
    ).rejects.toMatchObject({ code: 'invalid_state' });
    // refused before the gate: no second verdict or contact for the account
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM compliance_verdicts WHERE account_id = ${f.accountId}`.execute(t.db);
    expect(rows[0]?.n).toBe(1);
    // a CN account has no validation notice
    const cn = await withAddress();
    await expect(
      queueLetter(t.db, { accountId: cn.accountId, kind: 'validation_notice', at, actor: 'a' }, config),
    ).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('routes: agents queue, supervisors close the batch, the PDF downloads; other clients see nothing', async () => {
    const f = await withAddress();
    const other = await withAddress();
    // the route gates at the real clock: the debtor's consent to the quiet hours keeps it allowed
    await recordConsent(
      t.db,
      {
        debtorId: f.debtorId,
        kind: 'quiet_hours',
        source: 'letter',
        givenAt: new Date('2026-01-01T00:00:00Z'),
      },
      'agent.wang',
    );
    caller('agent.letters', ['agent'], [f.clientId]);
    caller('supervisor.letters', ['supervisor'], [f.clientId]);
    caller('agent.elsewhere', ['agent'], [other.clientId]);
    const queue = (as: string, key?: string) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/accounts/${f.accountId}/letters`,
        headers: { 'x-test-caller': as, 'content-type': 'application/json' },
        payload: JSON.stringify({ kind: 'letter', lang: 'en', ...(key ? { idempotency_key: key } : {}) }),
      });
    const first = await queue('agent.letters', 'letter-1');
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ message: { status: 'queued', verdict: 'allow' } });
    const repeat = await queue('agent.letters', 'letter-1');
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json()).toMatchObject({ repeated: true, message: { id: first.json().message.id } });
    expect((await queue('agent.elsewhere')).statusCode).toBe(404);
    const close = (as: string, client: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/letters/batches',
        headers: { 'x-test-caller': as, 'content-type': 'application/json' },
        payload: JSON.stringify({ client }),
      });
    expect((await close('agent.letters', f.clientCode)).statusCode).toBe(403);
    expect((await close('supervisor.letters', other.clientCode)).statusCode).toBe(404);
    const closed = await close('supervisor.letters', f.clientCode);
    expect(closed.statusCode, closed.body).toBe(201);
    expect(closed.json()).toMatchObject({ letters: 1 });
    expect((await close('supervisor.letters', f.clientCode)).statusCode).toBe(409);
    const list = await app.inject({
      method: 'GET',
      url: `/api/v1/letters/batches?client=${f.clientCode}`,
      headers: { 'x-test-caller': 'agent.letters' },
    });
    expect(list.json()).toMatchObject({ total: 1, items: [{ id: closed.json().id, letters: 1 }] });
    const pdf = await app.inject({
      method: 'GET',
      url: `/api/v1/letters/batches/${closed.json().id}/pdf`,
      headers: { 'x-test-caller': 'agent.letters' },
    });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect((await readPdf(pdf.rawPayload)).pages[0]).toContain('1 letters');
    const hidden = await app.inject({
      method: 'GET',
      url: `/api/v1/letters/batches/${closed.json().id}/pdf`,
      headers: { 'x-test-caller': 'agent.elsewhere' },
    });
    expect(hidden.statusCode).toBe(404);
  });
});
