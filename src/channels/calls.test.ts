/**
 * Click-to-call end to end against a fake Asterisk on loopback (node:net) speaking the AMI line
 * protocol: the banner, Login, the Originate it receives (asserted field by field), and the events
 * the test plays back (OriginateResponse, DialEnd, VarSet of the recording, Hangup). A denied dial
 * never reaches the PBX; a connected call's disposition and an unconnected call's outcome reach the
 * gate's contact log; the call is on the account's timeline.
 */
import net from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { accountTimeline } from '../accounts/listing.ts';
import { recordConsent } from '../compliance/holds.ts';
import type { Api } from '../server/context.ts';
import { type AmiBlock, AmiParser, amiAction } from './ami.ts';
import { placeCall, recordPbxEvent, setCallDisposition } from './calls.ts';
import type { ChannelConfig } from './config.ts';
import { channelsFrom } from './service.ts';
import { channelFixture, daytime, night, testCallers, testConfig, testServer } from './test-support.ts';

/** A fake AMI server: greets, accepts the login, answers every action and keeps it; `event` sends one to every client. */
async function startAmi() {
  const actions: AmiBlock[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    socket.write('Asterisk Call Manager/9.0.0\r\n');
    const parser = new AmiParser();
    socket.on('data', (chunk: string) => {
      for (const block of parser.push(chunk)) {
        actions.push(block);
        const ok = block.Action !== 'Login' || block.Secret === 'ami-secret';
        socket.write(
          amiAction([
            ['Response', ok ? 'Success' : 'Error'],
            ['ActionID', block.ActionID ?? ''],
            ['Message', ok ? `${block.Action} accepted` : 'Authentication failed'],
          ]),
        );
      }
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    actions,
    originates: () => actions.filter((a) => a.Action === 'Originate'),
    event(fields: Record<string, string>) {
      const text = amiAction(Object.entries(fields));
      for (const socket of sockets) socket.write(text);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let t: TestDatabase;
let ami: Awaited<ReturnType<typeof startAmi>>;
let config: ChannelConfig;
let app: Api;
const { caller, callers } = testCallers();

beforeAll(async () => {
  t = await testDatabase();
  ami = await startAmi();
  config = testConfig({
    ami: {
      host: '127.0.0.1',
      port: ami.port,
      username: 'huikuan',
      secret: 'ami-secret',
      context: 'from-huikuan',
      channelTemplate: 'PJSIP/{extension}',
      callerId: '"回款催收" <4008000000>',
    },
  });
  app = await testServer(t, config, callers);
});
afterAll(async () => {
  await app?.close();
  await ami?.close();
  await t?.drop();
});

async function contactOutcome(messageId: bigint): Promise<string | undefined> {
  const { rows } = await sql<{ outcome: string }>`
    SELECT outcome FROM compliance_contacts
     WHERE id = (SELECT contact_id FROM channel_messages WHERE id = ${messageId})`.execute(t.db);
  return rows[0]?.outcome;
}

describe('click-to-call through Asterisk AMI', () => {
  it('logs in, originates from the extension to the number, and records answer, duration, recording and disposition', async () => {
    const channels = channelsFrom(config);
    // the service applies the events it is given (the server's routes wire the same)
    const applied: Promise<void>[] = [];
    channels.pbx?.onEvent((event) => applied.push(recordPbxEvent(t.db, event)));
    const f = await channelFixture(t.db, { phone: '+8613800000301', email: 'call@example.com' });
    const { message, call, repeated } = await placeCall(
      t.db,
      {
        accountId: f.accountId,
        contactPointId: f.phoneId,
        extension: '201',
        at: daytime,
        actor: 'agent.wang',
      },
      channels,
    );
    expect(repeated).toBe(false);
    expect(message).toMatchObject({
      channel: 'call',
      provider: 'asterisk',
      status: 'sent',
      verdict: 'allow',
    });
    expect(call).toMatchObject({ state: 'dialling', extension: '201' });
    const login = ami.actions.find((a) => a.Action === 'Login');
    expect(login).toMatchObject({ Username: 'huikuan', Secret: 'ami-secret' });
    const originate = ami.originates().at(-1);
    const callId = `huikuan-call-${message.id}`;
    expect(originate).toEqual({
      Action: 'Originate',
      Channel: 'PJSIP/201',
      Exten: '+8613800000301',
      Context: 'from-huikuan',
      Priority: '1',
      Timeout: '30000',
      Async: 'true',
      Variable: `HUIKUAN_CALL=${callId}`,
      CallerID: '"回款催收" <4008000000>',
      ActionID: callId,
    });

    ami.event({
      Event: 'OriginateResponse',
      ActionID: callId,
      Response: 'Success',
      Channel: 'PJSIP/201-00000001',
      Reason: '4',
      Uniqueid: '1772416800.1',
    });
    ami.event({
      Event: 'DialEnd',
      Uniqueid: '1772416800.1',
      DestUniqueid: '1772416800.2',
      DialStatus: 'ANSWER',
      Timestamp: '1772416805.000000',
    });
    ami.event({
      Event: 'VarSet',
      Uniqueid: '1772416800.1',
      Variable: 'MIXMONITOR_FILENAME',
      Value: '/var/spool/asterisk/monitor/call-1.wav',
    });
    ami.event({
      Event: 'Hangup',
      Uniqueid: '1772416800.1',
      Cause: '16',
      'Cause-txt': 'Normal Clearing',
      Timestamp: '1772416900.000000',
    });
    await vi.waitFor(async () => {
      expect(applied).toHaveLength(2);
      await Promise.all(applied);
      const row = await t.db
        .withTables<import('./tables.ts').ChannelTables>()
        .selectFrom('channel_calls')
        .selectAll()
        .where('message_id', '=', message.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        state: 'ended',
        duration_seconds: 95,
        hangup_cause: '16 Normal Clearing',
        recording_ref: '/var/spool/asterisk/monitor/call-1.wav',
        pbx_call_id: '1772416800.1',
        disposition: null,
      });
      expect(row.answered_at).toEqual(new Date(1772416805_000));
    });
    // connected: the gate's contact counts as connected until the agent's disposition says what it was
    expect(await contactOutcome(message.id)).toBe('pending');
    const disposed = await setCallDisposition(t.db, message.id, {
      disposition: 'conversation',
      note: '承诺周五还款',
      actor: 'agent.wang',
    });
    expect(disposed).toMatchObject({ disposition: 'conversation', disposition_by: 'agent.wang' });
    expect(await contactOutcome(message.id)).toBe('conversation');
    await expect(
      setCallDisposition(t.db, message.id, { disposition: 'voicemail', actor: 'agent.wang' }),
    ).rejects.toMatchObject({ code: 'invalid_state' });
    const timeline = await accountTimeline(t.db, f.accountId, { offset: 0, limit: 10 });
    const item = timeline.items.find((i) => i.type === 'message' && i.id === message.id);
    expect(item).toMatchObject({ kind: 'call_sent', to_status: 'delivered' });
    expect(item?.text).toBe(
      '+86 138****0301: call from extension 201 · ended · 95 s · cause 16 Normal Clearing · recording /var/spool/asterisk/monitor/call-1.wav · disposition conversation · 承诺周五还款',
    );
    await channels.pbx?.close();
  });

  it('a dial the gate denies is recorded blocked and never reaches the PBX', async () => {
    const channels = channelsFrom(config);
    const f = await channelFixture(t.db, { phone: '+8613800000302', email: 'night@example.com' });
    const before = ami.actions.length;
    const { message, call } = await placeCall(
      t.db,
      { accountId: f.accountId, contactPointId: f.phoneId, extension: '201', at: night, actor: 'agent.wang' },
      channels,
    );
    expect(message).toMatchObject({
      channel: 'call',
      status: 'blocked',
      verdict: 'deny',
      reasons: ['quiet_hours'],
    });
    expect(call).toBeNull();
    // not even a connection: the PBX heard nothing
    expect(ami.actions.length).toBe(before);
    await channels.pbx?.close();
  });

  it('a busy number ends unconnected: the gate is told busy at once', async () => {
    const channels = channelsFrom(config);
    const applied: Promise<void>[] = [];
    channels.pbx?.onEvent((event) => applied.push(recordPbxEvent(t.db, event)));
    const f = await channelFixture(t.db, { phone: '+8613800000303', email: 'busy@example.com' });
    const { message } = await placeCall(
      t.db,
      { accountId: f.accountId, contactPointId: f.phoneId, extension: '202', at: daytime, actor: 'agent.li' },
      channels,
    );
    const callId = `huikuan-call-${message.id}`;
    ami.event({
      Event: 'OriginateResponse',
      ActionID: callId,
      Response: 'Success',
      Channel: 'PJSIP/202-00000002',
      Reason: '4',
      Uniqueid: '1772416800.7',
    });
    ami.event({ Event: 'DialEnd', Uniqueid: '1772416800.7', DialStatus: 'BUSY' });
    ami.event({ Event: 'Hangup', Uniqueid: '1772416800.7', Cause: '17', 'Cause-txt': 'User busy' });
    await vi.waitFor(async () => {
      expect(applied).toHaveLength(1);
      await Promise.all(applied);
      expect(await contactOutcome(message.id)).toBe('busy');
    });
    const row = await t.db
      .withTables<import('./tables.ts').ChannelTables>()
      .selectFrom('channel_calls')
      .select(['state', 'duration_seconds', 'disposition', 'disposition_by'])
      .where('message_id', '=', message.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'ended', duration_seconds: 0, disposition: 'busy', disposition_by: 'pbx' });
    await channels.pbx?.close();
  });

  it('a refused AMI login fails the call without an Originate', async () => {
    const ami2 = config.ami ? { ...config.ami, secret: 'wrong' } : null;
    const channels = channelsFrom({ ...config, ami: ami2 });
    const f = await channelFixture(t.db, { phone: '+8613800000306', email: 'refused@example.com' });
    const before = ami.originates().length;
    const { message, call } = await placeCall(
      t.db,
      { accountId: f.accountId, contactPointId: f.phoneId, extension: '204', at: daytime, actor: 'agent.li' },
      channels,
    );
    expect(message).toMatchObject({ status: 'failed', verdict: 'allow' });
    expect(message.error).toContain('Asterisk refused the AMI login: Authentication failed');
    expect(call).toMatchObject({ state: 'failed' });
    expect(ami.originates()).toHaveLength(before);
    await channels.pbx?.close();
  });

  it('routes: an agent dials through the server, another client’s agent gets 404 and nothing is dialled', async () => {
    const f = await channelFixture(t.db, { phone: '+8613800000304', email: 'route@example.com' });
    const other = await channelFixture(t.db, { phone: '+8613800000305', email: 'other@example.com' });
    // the route gates at the real clock: the debtor's consent to the quiet hours keeps it allowed
    await recordConsent(
      t.db,
      {
        debtorId: f.debtorId,
        kind: 'quiet_hours',
        source: 'phone',
        givenAt: new Date('2026-01-01T00:00:00Z'),
      },
      'agent.wang',
    );
    caller('agent.calls', ['agent'], [f.clientId]);
    caller('agent.elsewhere', ['agent'], [other.clientId]);
    const dial = (as: string) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/accounts/${f.accountId}/calls`,
        headers: { 'x-test-caller': as, 'content-type': 'application/json' },
        payload: JSON.stringify({ contact_point_id: String(f.phoneId), extension: '203' }),
      });
    const before = ami.originates().length;
    expect((await dial('agent.elsewhere')).statusCode).toBe(404);
    expect(ami.originates()).toHaveLength(before);
    const placed = await dial('agent.calls');
    expect(placed.statusCode, placed.body).toBe(201);
    expect(placed.json()).toMatchObject({
      message: { channel: 'call', status: 'sent' },
      call: { extension: '203' },
    });
    expect(ami.originates().at(-1)).toMatchObject({ Channel: 'PJSIP/203', Exten: '+8613800000304' });
    const list = await app.inject({
      method: 'GET',
      url: `/api/v1/accounts/${f.accountId}/calls`,
      headers: { 'x-test-caller': 'agent.calls' },
    });
    expect(list.json()).toMatchObject({ total: 1, items: [{ extension: '203', state: 'dialling' }] });
  });
});
