import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, testDatabase } from '../../test/db.ts';
import { demoStrategyDocument } from '../demo/strategy.ts';
import {
  armBucket,
  armBucketSql,
  assignArm,
  type Condition,
  conditionSql,
  documentJson,
  evaluate,
  type FieldValues,
  type Leaf,
  type StrategyDocument,
  segmentOf,
  validateDocument,
} from './document.ts';

/** A valid document to break one piece at a time. */
function sample(): Record<string, unknown> {
  return {
    name: 'Default',
    segments: [
      {
        code: 'm1',
        name: 'Early',
        conditions: { all: [{ field: 'bucket', op: '=', value: 'M1' }] },
        test_id: 'm1-test',
        arms: [
          {
            code: 'champion',
            role: 'champion',
            share_bp: 8000,
            steps: [
              { code: 'sms0', day: 0, kind: 'message', channel: 'sms', template: 'gentle' },
              { code: 'call5', day: 5, kind: 'task', task: 'call', priority: 70 },
            ],
          },
          { code: 'challenger', role: 'challenger', share_bp: 2000, steps: [] },
        ],
      },
      {
        code: 'rest',
        name: 'Everyone else',
        conditions: { all: [] },
        arms: [
          {
            code: 'champion',
            role: 'champion',
            share_bp: 10000,
            steps: [{ code: 'legal', day: 0, kind: 'task', task: 'escalate', team: 'Senior' }],
          },
        ],
      },
    ],
  };
}

function problemsOf(document: unknown) {
  const result = validateDocument(document);
  return result.problems.map((problem) => `${problem.severity} ${problem.path}`);
}

describe('the strategy document', () => {
  it('accepts a valid document and fills the defaults', () => {
    const result = validateDocument(sample());
    expect(result.problems).toEqual([]);
    if (!result.ok) throw new Error('not ok');
    const step = result.document.segments[0]?.arms[0]?.steps[0];
    expect(step).toEqual({
      code: 'sms0',
      day: 0,
      from: 'entry',
      kind: 'message',
      channel: 'sms',
      template: 'gentle',
      priority: 50,
    });
    expect(result.document.segments[1]?.test_id).toBeNull();
  });

  it('names every problem with its path, all at once', () => {
    const doc = sample() as { segments: Array<Record<string, unknown>> };
    const first = doc.segments[0] as {
      conditions: { all: Leaf[] };
      arms: Array<{ share_bp: number; steps: Array<Record<string, unknown>> }>;
    };
    first.conditions.all.push(
      { field: 'colour', op: '=', value: 'red' } as unknown as Leaf, // unknown field
      { field: 'bucket', op: '<', value: 'M2' }, // operator wrong for an enum
      { field: 'dpd', op: '>', value: 'thirty' }, // value of the wrong type
      { field: 'balance_minor', op: 'between', value: [500, 100] }, // low above high
    );
    (first.arms[1] as { share_bp: number }).share_bp = 1000; // 8000 + 1000
    first.arms[0]?.steps.push(
      { code: 'sms0', day: 7, kind: 'message', channel: 'sms', template: 'firm' }, // duplicate step code
      { code: 'mail3', day: 3, kind: 'message', channel: 'fax', template: 'x' }, // bad channel
      { code: 'late', day: 2, kind: 'task', task: 'call' }, // day 2 after day 7
    );
    (doc.segments[1] as { code: string }).code = 'm1'; // duplicate segment code
    expect(problemsOf(doc)).toEqual([
      'error segments[0].conditions.all[1].field',
      'error segments[0].conditions.all[2].op',
      'error segments[0].conditions.all[3].value',
      'error segments[0].conditions.all[4].value',
      'error segments[0].arms[0].steps[3].channel',
      'error segments[0].arms[0].steps[2].code',
      'error segments[0].arms[0].steps[4].day',
      'error segments[0].arms',
      'error segments[1].code',
    ]);
  });

  it('says what to do for each kind of problem', () => {
    // biome-ignore lint/suspicious/noExplicitAny: each case breaks the document somewhere else
    const cases: Array<[(doc: any) => void, string, RegExp]> = [
      [
        (d) => (d.segments[0].conditions.all[0].field = 'colour'),
        'segments[0].conditions.all[0].field',
        /not a field: use one of client/,
      ],
      [
        (d) => (d.segments[0].conditions.all[0].op = '>'),
        'segments[0].conditions.all[0].op',
        /does not apply to bucket \(enum\): use =, !=, in, not_in, is_empty/,
      ],
      [
        (d) => (d.segments[0].conditions.all[0].value = 'M9'),
        'segments[0].conditions.all[0].value',
        /not one of current, M1/,
      ],
      [
        (d) => (d.segments[0].arms[1].share_bp = 1500),
        'segments[0].arms',
        /add up to 9500 basis points; they must add up to 10000/,
      ],
      [(d) => (d.segments[0].arms[1].code = 'champion'), 'segments[0].arms[1].code', /used by arms\[0\] too/],
      [(d) => (d.segments[1].code = 'm1'), 'segments[1].code', /used by segments\[0\] too/],
      [
        (d) => (d.segments[0].arms[0].steps[1].day = 0),
        'segments[0].arms[0].steps[1].day',
        /Day 0 is not after steps\[0\]'s day 0/,
      ],
      [
        (d) => (d.segments[0].arms[0].steps[1].code = 'sms0'),
        'segments[0].arms[0].steps[1].code',
        /used by steps\[0\] too/,
      ],
      [
        (d) => (d.segments[0].arms[1].role = 'champion'),
        'segments[0].arms',
        /exactly one champion arm; this one has 2/,
      ],
      [(d) => delete d.segments[0].test_id, 'segments[0].test_id', /needs a test id/],
      [
        (d) => (d.segments[1].arms[0].steps[0].team = undefined),
        'segments[1].arms[0].steps[0].team',
        /names the team/,
      ],
      [
        (d) => {
          d.segments[0].arms[1].role = 'holdout';
          d.segments[0].arms[1].steps.push({ code: 'x', day: 1, kind: 'task', task: 'call' });
        },
        'segments[0].arms[1].steps',
        /holdout arm gets no treatment/,
      ],
      [
        (d) => (d.segments[0].arms[0].steps[0].kind = 'carrier_pigeon'),
        'segments[0].arms[0].steps[0].kind',
        /not a step kind/,
      ],
      [
        (d) => (d.segments[0].conditions = { all: [{ field: 'dpd', op: 'in', value: [] }] }),
        'segments[0].conditions.all[0].value',
        /in takes a list of a whole number/,
      ],
      [
        (d) => (d.segments[0].conditions = { any: [{ field: 'lost_contact', op: '<', value: true }] }),
        'segments[0].conditions.any[0].op',
        /does not apply to lost_contact \(bool\)/,
      ],
      [
        (d) => (d.segments[0].conditions = { all: [{ field: 'balance_minor', op: '>=', value: '12x' }] }),
        'segments[0].conditions.all[0].value',
        /an amount in minor units/,
      ],
      [
        (d) => (d.segments[0].conditions = { all: [{ field: 'score', op: 'is_empty', value: 'yes' }] }),
        'segments[0].conditions.all[0].value',
        /is_empty takes true/,
      ],
      [(d) => (d.extra = 1), 'extra', /Unknown property "extra"/],
      [(d) => (d.segments = []), 'segments', /at least one segment/],
    ];
    for (const [breakIt, path, message] of cases) {
      const doc = sample();
      breakIt(doc);
      const result = validateDocument(doc);
      expect(result.ok, path).toBe(false);
      const problem = result.problems.find((p) => p.path === path && p.severity === 'error');
      expect(problem?.message, `${path}: ${JSON.stringify(result.problems)}`).toMatch(message);
    }
  });

  it('warns (does not refuse) when the last segment is not a catch-all', () => {
    const doc = sample() as { segments: unknown[] };
    doc.segments.pop();
    const result = validateDocument(doc);
    expect(result.ok).toBe(true);
    expect(result.problems).toEqual([
      expect.objectContaining({ path: 'segments[0].conditions', severity: 'warning' }),
    ]);
  });

  it("the demo agency's strategy is valid, its last segment a catch-all, and survives a round trip", () => {
    const result = validateDocument(demoStrategyDocument());
    expect(result.problems).toEqual([]);
    if (!result.ok) throw new Error('demo strategy invalid');
    expect(result.document.segments.map((segment) => segment.code)).toEqual([
      'm1_early',
      'm2_m3',
      'm4_plus',
      'other',
    ]);
    const again = validateDocument(JSON.parse(documentJson(result.document)));
    expect(again.ok && again.document).toEqual(result.document);
    const money = validateDocument({
      name: 'money',
      segments: [
        {
          code: 'big',
          name: 'Big',
          conditions: { all: [{ field: 'balance_minor', op: '>=', value: '90071992547409930' }] },
          arms: [{ code: 'c', role: 'champion', share_bp: 10000, steps: [] }],
        },
      ],
    });
    if (!money.ok) throw new Error('money document invalid');
    expect(validateDocument(JSON.parse(documentJson(money.document)))).toEqual(money);
  });

  it('refuses what is not a document', () => {
    expect(validateDocument(null)).toEqual({
      ok: false,
      problems: [
        {
          path: '',
          severity: 'error',
          code: 'document_not_object',
          params: {},
          message: expect.stringMatching(/JSON object/),
        },
      ],
    });
    expect(problemsOf({ name: '', segments: 'none' })).toEqual(['error name', 'error segments']);
  });
});

// ---------------------------------------------------------------- the evaluator

/** Leaves over a few fields of each type, with values in a small range so they often match. */
const intLeaf = fc.record({
  field: fc.constantFrom('dpd' as const, 'score' as const),
  op: fc.constantFrom('=', '!=', '<', '<=', '>', '>=', 'is_empty', 'in', 'not_in', 'between'),
  a: fc.integer({ min: -3, max: 3 }),
  b: fc.integer({ min: -3, max: 3 }),
  empty: fc.boolean(),
});
const leafArb: fc.Arbitrary<Leaf> = fc.oneof(
  intLeaf.map(({ field, op, a, b, empty }): Leaf => {
    if (op === 'is_empty') return { field, op, value: empty };
    if (op === 'in' || op === 'not_in') return { field, op, value: [a, b] };
    if (op === 'between') return { field, op, value: [Math.min(a, b), Math.max(a, b)] };
    return { field, op: op as Leaf['op'], value: a };
  }),
  fc
    .record({
      op: fc.constantFrom('=', '!=', 'in', 'not_in', 'is_empty'),
      v: fc.constantFrom('M1', 'M2', 'M3'),
    })
    .map(({ op, v }): Leaf => {
      if (op === 'is_empty') return { field: 'region', op, value: false };
      if (op === 'in' || op === 'not_in') return { field: 'bucket', op, value: [v, 'M2'] };
      return { field: 'bucket', op: op as Leaf['op'], value: v };
    }),
  fc
    .record({ op: fc.constantFrom('=', '<', '>=', 'between'), v: fc.bigInt({ min: -2n, max: 2n }) })
    .map(
      ({ op, v }): Leaf =>
        op === 'between'
          ? { field: 'balance_minor', op, value: [v, v + 1n] }
          : { field: 'balance_minor', op: op as Leaf['op'], value: v },
    ),
  fc.boolean().map((v): Leaf => ({ field: 'hardship', op: '=', value: v })),
);
const conditionArb: fc.Arbitrary<Condition> = fc.letrec<{ c: Condition }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('c'), { maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie('c'), { maxLength: 3 }).map((any) => ({ any })),
  ),
})).c;
const valuesArb: fc.Arbitrary<FieldValues> = fc.record({
  dpd: fc.integer({ min: -3, max: 3 }),
  score: fc.option(fc.integer({ min: -3, max: 3 })),
  bucket: fc.constantFrom('M1', 'M2', 'M3'),
  region: fc.option(fc.constantFrom('广东', 'Ohio')),
  balance_minor: fc.bigInt({ min: -2n, max: 2n }),
  hardship: fc.boolean(),
});

describe('the evaluator', () => {
  it('all is a conjunction, any a disjunction; empty all is true, empty any false', () => {
    fc.assert(
      fc.property(fc.array(conditionArb, { maxLength: 4 }), valuesArb, (items, values) => {
        const each = items.map((item) => evaluate(item, values));
        expect(evaluate({ all: items }, values)).toBe(each.every(Boolean));
        expect(evaluate({ any: items }, values)).toBe(each.some(Boolean));
      }),
    );
  });

  it('in is a disjunction of =, not_in its negation, between is >= and <=', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3, max: 3 }),
        fc.integer({ min: -3, max: 3 }),
        fc.integer({ min: -3, max: 3 }),
        (x, a, b) => {
          const values = { dpd: x };
          const inList = evaluate({ field: 'dpd', op: 'in', value: [a, b] }, values);
          expect(inList).toBe(
            evaluate({ field: 'dpd', op: '=', value: a }, values) ||
              evaluate({ field: 'dpd', op: '=', value: b }, values),
          );
          expect(evaluate({ field: 'dpd', op: 'not_in', value: [a, b] }, values)).toBe(!inList);
          const [low, high] = [Math.min(a, b), Math.max(a, b)];
          expect(evaluate({ field: 'dpd', op: 'between', value: [low, high] }, values)).toBe(
            x >= low && x <= high,
          );
        },
      ),
    );
  });

  it('a missing value meets nothing but is_empty', () => {
    fc.assert(
      fc.property(leafArb, (leaf) => {
        const result = evaluate(leaf, {});
        expect(result).toBe(leaf.op === 'is_empty' && leaf.value === true);
      }),
    );
  });

  it('an account falls in the first segment it meets', () => {
    const doc = validateDocument(sample());
    if (!doc.ok) throw new Error('sample invalid');
    expect(segmentOf(doc.document, { bucket: 'M1' })).toBe(0);
    expect(segmentOf(doc.document, { bucket: 'M2' })).toBe(1);
    const strict: StrategyDocument = { ...doc.document, segments: doc.document.segments.slice(0, 1) };
    expect(segmentOf(strict, { bucket: 'M4' })).toBeNull();
  });
});

describe('arms', () => {
  it('are deterministic and follow the shares', () => {
    const arms = [
      { code: 'champion', share_bp: 8000 },
      { code: 'challenger', share_bp: 2000 },
    ];
    const counts = { champion: 0, challenger: 0 } as Record<string, number>;
    for (let id = 1n; id <= 20_000n; id++) {
      const arm = assignArm(id, 'm1-test', arms);
      expect(assignArm(id, 'm1-test', arms)).toBe(arm);
      counts[arm] = (counts[arm] ?? 0) + 1;
    }
    // 20% ± 1 point over 20,000 accounts (about 5 standard deviations)
    expect(Math.abs((counts.challenger ?? 0) / 20_000 - 0.2)).toBeLessThan(0.01);
    // another test id shuffles the accounts independently
    const moved = Array.from({ length: 1000 }, (_, i) => BigInt(i + 1)).filter(
      (id) => assignArm(id, 'm1-test', arms) !== assignArm(id, 'other-test', arms),
    ).length;
    expect(moved).toBeGreaterThan(200);
    expect(assignArm(42n, 'x', [{ code: 'only', share_bp: 10_000 }])).toBe('only');
  });
});

describe('conditions compiled to SQL', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await testDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('the SQL point of an account is the JS point', async () => {
    const ids = [1n, 2n, 77n, 123_456_789n, 9_007_199_254_740_993n];
    for (const id of ids) {
      const row = await sql<{
        p: number;
      }>`SELECT ${armBucketSql(sql`${id.toString()}::int8`, 'test-a')} AS p`.execute(t.db);
      expect(row.rows[0]?.p).toBe(armBucket(id, 'test-a'));
    }
  });

  it('select exactly the rows the evaluator accepts (bound parameters, no text of the values)', async () => {
    await fc.assert(
      fc.asyncProperty(
        conditionArb,
        fc.array(valuesArb, { minLength: 1, maxLength: 8 }),
        async (condition, rows) => {
          const expected = rows.map((values) => evaluate(condition, values));
          const compiled = conditionSql(condition, (field) => sql.ref(`v.${field}`));
          const values = sql.join(
            rows.map(
              (r, i) =>
                sql`(${i}::int, ${r.dpd as number}::int4, ${r.score ?? null}::int4, ${r.bucket as string}::text, ${r.region ?? null}::text, ${(r.balance_minor as bigint).toString()}::int8, ${r.hardship as boolean}::bool)`,
            ),
          );
          const out = await sql<{ i: number; hit: boolean }>`
          SELECT v.i, ${compiled} AS hit
            FROM (VALUES ${values}) AS v(i, dpd, score, bucket, region, balance_minor, hardship) ORDER BY v.i`.execute(
            t.db,
          );
          expect(out.rows.map((row) => row.hit)).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a value that looks like SQL is a value', async () => {
    const compiled = conditionSql({ field: 'region', op: '=', value: "x' OR 1=1 --" }, (field) =>
      sql.ref(`v.${field}`),
    );
    const compiledQuery = compiled.compile(t.db);
    expect(compiledQuery.sql).not.toContain('OR 1=1');
    const out = await sql<{
      hit: boolean;
    }>`SELECT ${compiled} AS hit FROM (VALUES ('广东'::text)) AS v(region)`.execute(t.db);
    expect(out.rows).toEqual([{ hit: false }]);
  });
});
