import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../test/cli.ts';
import { parseAttemptDocument } from './input.ts';
import { evaluate } from './model.ts';
import { defaultProfiles } from './profiles.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-compliance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function file(content: unknown): string {
  const name = path.join(dir, `attempts-${++files}.json`);
  writeFileSync(name, typeof content === 'string' ? content : JSON.stringify(content));
  return name;
}

// compliance check needs no database: the URL is never opened
const huikuan = cliFor({ url: 'postgres://127.0.0.1:1/unused' });

/** `compliance check` of the file at `name` (CN unless told). */
function checkFile(name: string, jurisdiction = 'CN', json = true) {
  const argv = ['compliance', 'check', '--jurisdiction', jurisdiction, '--attempt', name];
  return huikuan(json ? [...argv, '--json'] : argv);
}

function check(jurisdiction: string, attempts: unknown, json = true) {
  return checkFile(file({ attempts }), jurisdiction, json);
}

const noAnswer = (at: string) => ({
  at,
  channel: 'call',
  party: 'debtor',
  number: '+12125550100',
  robot: false,
  outcome: 'no_answer',
});

describe('huikuan compliance check', () => {
  it('prints one verdict per attempt, in order, in exactly the documented shape', async () => {
    const result = await check('CN', [
      {
        id: 'a1',
        at: '2026-03-02T13:59:00Z',
        channel: 'call',
        party: 'debtor',
        timezone: 'Asia/Shanghai',
        number: '+8613800000000',
        robot: false,
        lost_contact: false,
        consent_quiet_hours: false,
        holds: [],
        history: [
          {
            at: '2026-03-01T02:00:00Z',
            channel: 'call',
            party: 'debtor',
            number: '+8613800000000',
            robot: false,
            outcome: 'no_answer',
          },
        ],
      },
      { id: 'a2', at: '2026-03-02T14:00:00Z', channel: 'call', party: 'debtor', timezone: 'Asia/Shanghai' },
      {
        id: 'a3',
        at: '2026-03-02T02:00:00Z',
        channel: 'sms',
        party: 'third_party',
        timezone: 'Asia/Shanghai',
      },
      {
        id: 'a4',
        at: '2026-03-02T02:00:00Z',
        channel: 'letter',
        party: 'debtor',
        timezone: 'Asia/Shanghai',
        holds: ['cease'],
      },
    ]);
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      verdicts: [
        { id: 'a1', verdict: 'allow', reasons: [] },
        { id: 'a2', verdict: 'deny', reasons: ['quiet_hours'] },
        { id: 'a3', verdict: 'deny', reasons: ['third_party_not_lost_contact'] },
        { id: 'a4', verdict: 'allow_with_conditions', reasons: ['cease_notices_only'] },
      ],
    });
  });

  it('applies the US 7-in-7 counting rule: the seventh call passes, the eighth does not', async () => {
    const six = ['03-04', '03-05', '03-06', '03-07', '03-08', '03-09'].map((d) =>
      noAnswer(`2026-${d}T15:00:00Z`),
    );
    const attempt = {
      at: '2026-03-10T15:00:00Z',
      channel: 'call',
      party: 'debtor',
      timezone: 'America/New_York',
    };
    const result = await check('US', [
      { id: 'seventh', ...attempt, history: six },
      { id: 'eighth', ...attempt, history: [...six, noAnswer('2026-03-10T13:00:00Z')] },
      {
        id: 'busy-ones-do-not-count',
        ...attempt,
        history: [...six, { ...noAnswer('2026-03-10T13:00:00Z'), outcome: 'busy' }],
      },
      {
        id: 'conversation-on-day-1',
        ...attempt,
        history: [{ ...noAnswer('2026-03-04T15:00:00Z'), outcome: 'conversation' }],
      },
      {
        id: 'conversation-day-before-day-1',
        ...attempt,
        history: [{ ...noAnswer('2026-03-03T15:00:00Z'), outcome: 'conversation' }],
      },
    ]);
    expect(result.json().verdicts).toEqual([
      { id: 'seventh', verdict: 'allow', reasons: [] },
      { id: 'eighth', verdict: 'deny', reasons: ['calls_in_window_cap'] },
      { id: 'busy-ones-do-not-count', verdict: 'allow', reasons: [] },
      // a conversation on 03-04 blocks 03-04 to 03-10; one on 03-03 blocks up to 03-09
      { id: 'conversation-on-day-1', verdict: 'deny', reasons: ['recent_conversation'] },
      { id: 'conversation-day-before-day-1', verdict: 'allow', reasons: [] },
    ]);
  });

  it('prints plain lines without --json', async () => {
    const result = await check(
      'uk',
      [
        {
          id: 'x',
          at: '2026-06-10T22:00:00+01:00',
          channel: 'email',
          party: 'debtor',
          timezone: 'Europe/London',
        },
      ],
      false,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Profile UK v1:\n  x  deny  (quiet_hours)\n');
  });

  it('answers an empty list with no verdicts', async () => {
    expect((await check('US', [])).json()).toEqual({ verdicts: [] });
  });

  it('documents the format, the counting and the codes in --help', async () => {
    const result = await huikuan(['compliance', 'check', '--help']);
    expect(result.code).toBe(0);
    for (const text of [
      '--jurisdiction',
      '--attempt',
      'consent_quiet_hours',
      'not_in_service',
      'D+6',
      'calls_in_window_cap',
    ]) {
      expect(result.stdout).toContain(text);
    }
  });
});

describe('bad input to huikuan compliance check', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['not JSON', '{"attempts": [', 'bad_file', /is not valid JSON/],
    ['no attempts list', { verdicts: [] }, 'bad_input', /must be a JSON object with a list "attempts"/],
  ])('refuses a file that is %s', async (_name, content, code, message) => {
    const result = await checkFile(file(content));
    expect(result.code).toBe(2);
    expect(result.json().error.code).toBe(code);
    expect(result.json().error.message).toMatch(message);
  });

  it('reads a file with a UTF-8 byte-order mark, and refuses a directory or an empty file as bad_file', async () => {
    const bom = file(`\uFEFF${JSON.stringify({ attempts: [] })}`);
    const read = await checkFile(bom);
    expect(read.json()).toEqual({ verdicts: [] });
    for (const bad of [dir, file('')]) {
      const result = await checkFile(bad);
      expect(result.code).toBe(2);
      expect(result.json().error.code).toBe('bad_file');
    }
  });

  it('names every problem with its JSON path and evaluates nothing', async () => {
    const result = await check('CN', [
      { id: 'ok', at: '2026-03-02T02:00:00Z', channel: 'call', party: 'debtor' },
      {
        id: 'b1',
        at: '2026-03-02 10:00',
        channel: 'fax',
        party: 'neighbour',
        timezone: 'Asia/Beijing',
        robot: 'yes',
        hold: ['cease'],
        holds: ['sick'],
        history: [{ at: '2026-02-30T10:00:00Z', channel: 'call', outcome: 'hung_up' }, 7],
      },
      { at: '2026-03-02T02:00:00Z', channel: 'call', party: 'debtor' },
    ]);
    expect(result.code).toBe(2);
    const { error } = result.json();
    expect(error.code).toBe('bad_input');
    expect(error.message).toMatch(/nothing was checked/);
    expect(error.details.errors.map((e: { path: string }) => e.path)).toEqual([
      'attempts[1].hold',
      'attempts[1].at',
      'attempts[1].channel',
      'attempts[1].party',
      'attempts[1].timezone',
      'attempts[1].robot',
      'attempts[1].holds[0]',
      'attempts[1].history[0].at',
      'attempts[1].history[0].outcome',
      'attempts[1].history[1]',
      'attempts[2].id',
    ]);
    expect(error.details.errors[0]).toMatchObject({ id: 'b1', reason: expect.stringMatching(/not a field/) });
    expect(error.details.errors[4].reason).toMatch(/"Asia\/Beijing" is not an IANA time zone/);
    expect(result.stderr).toMatch(/^huikuan: .*has 11 problems/);
  });

  it('refuses a missing file, an unknown jurisdiction and missing options with exit 2', async () => {
    const missing = await huikuan([
      'compliance',
      'check',
      '--jurisdiction',
      'CN',
      '--attempt',
      path.join(dir, 'nope.json'),
      '--json',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.json().error).toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/Cannot read/),
    });
    const jurisdiction = await check('FR', []);
    expect(jurisdiction.code).toBe(2);
    expect(jurisdiction.json().error.code).toBe('bad_usage');
    const noFile = await huikuan(['compliance', 'check', '--jurisdiction', 'CN']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/--attempt/);
  });
});

describe('order', () => {
  it('each verdict depends only on its own attempt: reordering the attempts reorders the verdicts', () => {
    const attempts = [
      { id: 'p1', at: '2026-03-02T02:00:00Z', channel: 'call', party: 'debtor', timezone: 'Asia/Shanghai' },
      { id: 'p2', at: '2026-03-02T15:00:00Z', channel: 'call', party: 'debtor', timezone: 'Asia/Shanghai' },
      { id: 'p3', at: '2026-03-02T02:00:00Z', channel: 'visit', party: 'third_party', lost_contact: true },
      { id: 'p4', at: '2026-03-02T02:00:00Z', channel: 'sms', party: 'debtor', holds: ['opt_out_sms'] },
      {
        id: 'p5',
        at: '2026-03-02T02:00:00Z',
        channel: 'call',
        party: 'debtor',
        number: '+8613800000000',
        history: Array.from({ length: 6 }, () => ({
          ...noAnswer('2026-03-02T01:00:00Z'),
          number: '+8613800000000',
        })),
      },
    ];
    const verdictsOf = (list: unknown[]) =>
      parseAttemptDocument({ attempts: list }).map((a) => [a.id, evaluate(a, defaultProfiles.CN).verdict]);
    const expected = new Map(verdictsOf(attempts).map(([id, v]) => [id, v]));
    expect([...expected.values()]).toEqual(['allow', 'deny', 'allow_with_conditions', 'deny', 'deny']);
    fc.assert(
      fc.property(fc.shuffledSubarray(attempts, { minLength: attempts.length }), (shuffled) => {
        for (const [id, verdict] of verdictsOf(shuffled)) expect(verdict).toBe(expected.get(id));
        expect(verdictsOf(shuffled).map(([id]) => id)).toEqual(shuffled.map((a) => a.id));
      }),
      { numRuns: 50 },
    );
  });
});
