/**
 * The strategy editor's pure helpers (web/src/pages/strategy/model.ts): conditions in plain words in
 * both languages, yuan ↔ minor units and percent ↔ basis points exactly, a problem's JSON path → the
 * form item that shows it, and the web's copy of the condition fields equal to the server's.
 */
import { describe, expect, it } from 'vitest';
import {
  problemCodes,
  strategyFields as serverFields,
  validateDocument,
} from '../../src/strategy/document.ts';
import { testDocument } from '../../src/strategy/strategy-fixtures.ts';
import en from '../../web/src/locales/en.ts';
import zhCN from '../../web/src/locales/zh-CN.ts';
import {
  amountTextToMinor,
  blankDocument,
  type Condition,
  conditionWords,
  defaultValue,
  fieldSpec,
  formItemFor,
  formItemPaths,
  intervalText,
  metricText,
  minorToAmountText,
  moved,
  newLeaf,
  operatorsFor,
  pathParts,
  pathWords,
  problemsByItem,
  type StrategyDocument,
  sharesTotal,
  shareText,
  shareToBp,
  strategyFields,
  type Words,
} from '../../web/src/pages/strategy/model.ts';
import { problemText } from '../../web/src/pages/strategy/words.ts';

/** Words over a locale's `strategies` block, as the UI's i18next gives them. */
function wordsOf(locale: typeof zhCN): Words {
  return (key, vars) => {
    let node: unknown = locale.strategies;
    for (const part of key.split('.')) {
      if (node === null || typeof node !== 'object' || !(part in node)) return null;
      node = (node as Record<string, unknown>)[part];
    }
    if (typeof node !== 'string') return null;
    return node.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => vars?.[name] ?? '');
  };
}
const zh = wordsOf(zhCN);
const english = wordsOf(en);

describe('conditions in plain words', () => {
  const overdueRich: Condition = {
    all: [
      { field: 'dpd', op: '>=', value: 31 },
      { field: 'balance_minor', op: '>', value: '500000' },
    ],
  };

  it('writes the issue’s example exactly, in zh-CN and en', () => {
    expect(conditionWords(overdueRich, zh)).toBe('逾期天数 ≥ 31 且 余额 > ¥5,000.00');
    expect(conditionWords(overdueRich, english)).toBe('Days past due ≥ 31 and Balance > ¥5,000.00');
  });

  it('brackets nested groups and writes in, between, is_empty, enums and booleans', () => {
    const condition: Condition = {
      any: [
        { field: 'bucket', op: 'in', value: ['M2', 'M3'] },
        {
          all: [
            { field: 'payments_30d_minor', op: 'between', value: ['10000', '123456'] },
            { field: 'score', op: 'is_empty', value: true },
          ],
        },
        { field: 'lost_contact', op: '=', value: false },
        { field: 'plan_status', op: 'not_in', value: ['broken', 'none'] },
        { field: 'days_since_rpc', op: 'is_empty', value: false },
      ],
    };
    expect(conditionWords(condition, zh)).toBe(
      '账龄属于 M2、M3 或 (近30天还款介于 ¥100.00 与 ¥1,234.56 之间 且 评分为空) 或 失联 = 否 或 分期状态不属于 已违约、无 或 距上次本人联系天数不为空',
    );
    expect(conditionWords(condition, english)).toBe(
      'Bucket is one of M2, M3 or (Paid in 30 days between ¥100.00 and ¥1,234.56 and Score is empty) or Lost contact = no or Plan status is none of Broken, None or Days since right-party contact is not empty',
    );
  });

  it('names the catch-all and a single nested group without brackets', () => {
    expect(conditionWords({ all: [] }, zh)).toBe('所有账户');
    expect(conditionWords({ any: [] }, english)).toBe('no account');
    expect(conditionWords({ all: [{ any: [{ field: 'dpd', op: '<', value: 5 }] }] }, zh)).toBe(
      '逾期天数 < 5',
    );
  });
});

describe('amounts and shares, exactly', () => {
  it('turns yuan into minor units without floating point', () => {
    expect(amountTextToMinor('5000')).toBe('500000');
    expect(amountTextToMinor('5,000.1')).toBe('500010');
    expect(amountTextToMinor('0.29')).toBe('29');
    // 0.29 * 100 in floating point is 28.999999999999996
    expect(amountTextToMinor('1.15')).toBe('115');
    expect(amountTextToMinor('90071992547409.93')).toBe('9007199254740993');
    expect(amountTextToMinor('1.234')).toBeNull();
    expect(amountTextToMinor('abc')).toBeNull();
    expect(amountTextToMinor('-5')).toBeNull();
  });

  it('turns minor units back into the amount typed', () => {
    expect(minorToAmountText('500000')).toBe('5000.00');
    expect(minorToAmountText(5)).toBe('0.05');
    expect(minorToAmountText('9007199254740993')).toBe('90071992547409.93');
    expect(minorToAmountText('-120')).toBe('-1.20');
    expect(minorToAmountText('12a')).toBeNull();
    expect(minorToAmountText(true)).toBeNull();
  });

  it('turns percentages into basis points and back', () => {
    expect(shareToBp('80')).toBe(8000);
    expect(shareToBp('33.33')).toBe(3333);
    expect(shareToBp('0.01 %')).toBe(1);
    expect(shareToBp('100.00')).toBe(10_000);
    expect(shareToBp('100.01')).toBeNull();
    expect(shareToBp('12.345')).toBeNull();
    expect(shareToBp('x')).toBeNull();
    expect(shareText(8000)).toBe('80.00');
    expect(shareText(1)).toBe('0.01');
    expect(sharesTotal([{ share_bp: 8000 }, { share_bp: 1500 }])).toBe(9500);
  });
});

describe('problems next to their field', () => {
  const document = structuredClone(testDocument) as unknown as StrategyDocument;
  const shown = formItemPaths(document);

  it('parses and maps paths to the nearest form item', () => {
    expect(pathParts('segments[0].arms[1].share_bp')).toEqual(['segments', 0, 'arms', 1, 'share_bp']);
    expect(formItemFor('segments[0].arms[1].share_bp', shown)).toBe('segments[0].arms[1].share_bp');
    expect(formItemFor('segments[0].arms', shown)).toBe('segments[0].arms');
    expect(formItemFor('segments[1].conditions.all[0].value[1]', shown)).toBe(
      'segments[1].conditions.all[0].value',
    );
    expect(formItemFor('segments[0].arms[0].steps[2].colour', shown)).toBe('segments[0].arms[0].steps[2]');
    expect(formItemFor('segments[9].code', shown)).toBe('segments');
    expect(formItemFor('', shown)).toBe('');
    expect(formItemFor('extra', shown)).toBe('');
  });

  it('puts every problem of the server’s validation on an item the editor shows', () => {
    const bad = structuredClone(testDocument) as unknown as StrategyDocument;
    const [m1, m23] = bad.segments as [
      StrategyDocument['segments'][number],
      StrategyDocument['segments'][number],
    ];
    (m1.arms[1] as { share_bp: number }).share_bp = 1500;
    (m1.arms[0]?.steps[1] as { day: number }).day = 0;
    m23.conditions = { all: [{ field: 'bucket', op: 'in', value: ['M2', 'M9'] }] };
    const result = validateDocument(bad);
    expect(result.ok).toBe(false);
    const byItem = problemsByItem(result.problems, formItemPaths(bad));
    expect([...byItem.keys()].sort()).toEqual([
      'segments[0].arms',
      'segments[0].arms[0].steps[1].day',
      'segments[1].conditions.all[0].value',
    ]);
    expect(byItem.get('segments[0].arms')?.[0]?.message).toContain('9500');
  });
});

describe('the fields and editing helpers', () => {
  it('copies the server’s condition fields: names, groups, types and values', () => {
    const server = Object.fromEntries(
      Object.entries(serverFields).map(([name, spec]) => [
        name,
        { group: spec.group, type: spec.type, ...('values' in spec ? { values: [...spec.values] } : {}) },
      ]),
    );
    const web = Object.fromEntries(
      Object.entries(strategyFields).map(([name, spec]) => [
        name,
        { group: spec.group, type: spec.type, ...('values' in spec ? { values: [...spec.values] } : {}) },
      ]),
    );
    expect(web).toEqual(server);
    // every field and enum value has words in both languages
    for (const [name, spec] of Object.entries(strategyFields)) {
      expect(zh(`fields.${name}`), name).not.toBeNull();
      expect(english(`fields.${name}`), name).not.toBeNull();
      for (const value of 'values' in spec ? spec.values : []) {
        if (name === 'bucket' || name === 'language') continue;
        expect(zh(`values.${value}`), value).not.toBeNull();
        expect(english(`values.${value}`), value).not.toBeNull();
      }
    }
  });

  it('makes new conditions the server accepts, for every field and operator', () => {
    for (const field of Object.keys(strategyFields) as (keyof typeof strategyFields)[]) {
      const spec = fieldSpec(field);
      if (!spec) throw new Error(field);
      for (const op of operatorsFor[spec.type]) {
        let value = defaultValue(spec, op);
        // an empty list is not a value: the editor's tags input fills it
        if (Array.isArray(value) && value.length === 0) {
          value = [spec.type === 'int' ? 1 : spec.type === 'money' ? '100' : 'x'];
        }
        const document = blankDocument('t');
        (document.segments[0] as { conditions: Condition }).conditions = { all: [{ field, op, value }] };
        const result = validateDocument(document);
        expect(
          result.problems.filter((problem) => problem.severity === 'error'),
          `${field} ${op}`,
        ).toEqual([]);
        expect(result.ok).toBe(true);
      }
      expect(newLeaf(field).op).toBe(operatorsFor[spec.type][0]);
    }
  });

  it('moves a segment up and down, a copy each time', () => {
    const list = ['a', 'b', 'c'];
    expect(moved(list, 2, 1)).toEqual(['a', 'c', 'b']);
    expect(moved(list, 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moved(list, 0, -1)).toEqual(['a', 'b', 'c']);
    expect(list).toEqual(['a', 'b', 'c']);
  });
});

describe('champion / challenger figures as shown', () => {
  it('writes rates in per cent, money in yuan, contacts and cost per yuan with their places, signed differences', () => {
    expect(metricText('recovery_rate', 0.123456)).toBe('12.35%');
    expect(metricText('recovery_rate', 0.021, true)).toBe('+2.10%');
    expect(metricText('promise_kept_rate', -0.05, true)).toBe('-5.00%');
    expect(metricText('collected_per_account', 123456.4)).toBe('¥1,234.56');
    expect(metricText('collected_per_account', 250, true)).toBe('+¥2.50');
    expect(metricText('collected_per_account', -250, true)).toBe('-¥2.50');
    expect(metricText('contacts_per_account', 3.456)).toBe('3.46');
    expect(metricText('cost_per_yuan', 0.01234)).toBe('0.0123');
    expect(metricText('recovery_rate', null)).toBe('—');
    expect(metricText('recovery_rate', Number.NaN)).toBe('—');
  });

  it('writes an interval with both ends signed, and none as a dash', () => {
    expect(intervalText('recovery_rate', [-0.01, 0.035])).toBe('[-1.00%, +3.50%]');
    expect(intervalText('collected_per_account', [100, 2000])).toBe('[+¥1.00, +¥20.00]');
    expect(intervalText('cost_per_yuan', null)).toBe('—');
  });
});

describe('a problem’s path in words', () => {
  it('names segments, arms, steps and conditions by their number and the field by its label', () => {
    expect(pathWords('segments[0].arms[1].share_bp', zh)).toBe('第 1 段 › 第 2 个分组 › 占比 %');
    expect(pathWords('segments[2].conditions.all[0].any[1].value[1]', zh)).toBe(
      '第 3 段 › 条件 › 第 1 个条件 › 第 2 个条件 › 值 › 第 2 项',
    );
    expect(pathWords('segments[0].arms[0].steps[3].code', english)).toBe(
      'segment 1 › arm 1 › step 4 › Step code',
    );
    expect(pathWords('segments[1].code', english)).toBe('segment 2 › Segment code');
    expect(pathWords('segments[0].arms', zh)).toBe('第 1 段 › 分组');
    expect(pathWords('segments', english)).toBe('segments');
    expect(pathWords('segments', zh)).toBe('分段');
    expect(pathWords('', zh)).toBe('（整个文档）');
    expect(pathWords('segments[0].colour', english)).toBe('segment 1 › colour');
  });
});

describe('a problem in the editor’s language', () => {
  it('has words for every code the server reports, in both languages, and for every field type', () => {
    for (const locale of [zhCN, en]) {
      expect(Object.keys(locale.strategies.problem).sort()).toEqual([...problemCodes].sort());
      expect(Object.keys(locale.strategies.problemType).sort()).toEqual(
        [...new Set(Object.values(serverFields).map((field) => field.type))].sort(),
      );
    }
  });

  it('says the server’s problems in Chinese with their values, not the server’s English', () => {
    const broken = structuredClone(testDocument) as unknown as {
      extra?: number;
      segments: Array<{
        conditions: unknown;
        arms: Array<{ share_bp: number; steps: Array<{ day: number }> }>;
      }>;
    };
    broken.extra = 1;
    (broken.segments[0]?.arms[0] as { share_bp: number }).share_bp = 7000;
    (broken.segments[0]?.arms[0]?.steps[1] as { day: number }).day = 0;
    (broken.segments[1] as { conditions: unknown }).conditions = {
      all: [
        { field: 'bucket', op: 'in', value: ['M9'] },
        { field: 'lost_contact', op: '<', value: true },
      ],
    };
    const result = validateDocument(broken);
    expect(result.ok).toBe(false);
    const said = Object.fromEntries(result.problems.map((p) => [p.path, problemText(p, zh)]));
    expect(said).toEqual({
      extra: '未知属性 "extra"：请删除（允许：name, segments）。',
      'segments[0].arms': '各分组占比合计 9000 个基点，必须合计 10000（100%）。',
      'segments[0].arms[0].steps[1].day':
        '第 0 天不晚于第 1 个步骤的第 0 天（均从 entry 起算）：请按天数排列步骤，每天一个。',
      'segments[1].conditions.all[0].value[0]': '"M9" 不是current, M1, M2, M3, M4, M5, M6, M6+ 之一。',
      'segments[1].conditions.all[1].op': '“<” 不适用于 lost_contact（是或否）：请用 =, is_empty。',
    });
    for (const p of result.problems) expect(problemText(p, english)).not.toContain('{{');
    // a code this web does not know yet: the server's English
    expect(
      problemText({ path: '', severity: 'error', code: 'new_code', params: {}, message: 'As sent' }, zh),
    ).toBe('As sent');
  });
});
