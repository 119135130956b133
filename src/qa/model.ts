/**
 * Quality checks (质检, issue 4 point 5): a prohibited-language checker for zh-CN and en. Pure: no
 * SQL, no HTTP. zh-CN text is segmented with jieba (@node-rs/jieba) so rules match whole words
 * ("坐牢" the word, not the characters inside another word), English is split into lower-case words.
 *
 * The categories are compliance.md's conduct rules: threats, insults, impersonating the police,
 * courts or government, false statements about consequences (a civil debt never leads to arrest or
 * prison), and disclosure to third parties (family, employer, colleagues, contact lists). A rule is a
 * sequence of word alternatives that must appear in order within a short window, so "找你家人" and
 * "通知你的单位" match while a lone "家人" ("please tell us if a family member can help") does not.
 */
import { createRequire } from 'node:module';
import { Jieba } from '@node-rs/jieba';

export const qaCategories = [
  'threat',
  'insult',
  'impersonation',
  'false_consequence',
  'third_party_disclosure',
] as const;
export type QaCategory = (typeof qaCategories)[number];

export interface QaRule {
  category: QaCategory;
  /** Word alternatives in order; each step must follow the previous within `window` words. */
  steps: readonly (readonly string[])[];
  window?: number;
}

export interface QaFinding {
  category: QaCategory;
  /** The words that matched, as written. */
  matched: string;
  /** Index of the first matched word among the text's words. */
  at: number;
}

export interface QaResult {
  language: 'zh-CN' | 'en';
  passed: boolean;
  findings: QaFinding[];
}

const zhRules: QaRule[] = [
  // threats of harm or of turning up
  { category: 'threat', steps: [['弄死', '打死', '砍死', '打断', '收拾', '废了', '灭了']] },
  { category: 'threat', steps: [['让', '叫'], ['你'], ['好看', '后悔', '付出代价', '不得好死']], window: 3 },
  {
    category: 'threat',
    steps: [
      ['上门', '堵', '找上门'],
      ['你家', '你', '家里', '单位', '公司'],
    ],
    window: 3,
  },
  { category: 'threat', steps: [['后果自负', '走着瞧', '小心点', '等着瞧', '别怪我']] },
  // insults
  {
    category: 'insult',
    steps: [
      [
        '老赖',
        '人渣',
        '垃圾',
        '废物',
        '骗子',
        '无赖',
        '畜生',
        '混蛋',
        '王八蛋',
        '不要脸',
        '滚',
        '傻逼',
        '贱人',
      ],
    ],
  },
  // impersonating the police, courts or government
  {
    category: 'impersonation',
    steps: [
      ['我', '我们', '本人', '这里'],
      ['是', '代表', '来自'],
      ['警察', '公安', '公安局', '派出所', '法院', '检察院', '法官', '民警', '政府', '司法'],
    ],
    window: 3,
  },
  {
    category: 'impersonation',
    steps: [
      ['法院', '公安局', '公安', '检察院'],
      ['工作人员', '执行局', '民警', '法官'],
    ],
    window: 2,
  },
  // false consequences of a civil debt
  {
    category: 'false_consequence',
    steps: [['坐牢', '判刑', '拘留', '逮捕', '通缉', '刑事责任', '立案侦查', '抓捕', '入狱']],
  },
  { category: 'false_consequence', steps: [['抓'], ['你', '你们']], window: 2 },
  {
    category: 'false_consequence',
    steps: [
      ['子女', '孩子'],
      ['上学', '考公', '政审', '当兵'],
    ],
    window: 4,
  },
  // disclosure to third parties
  {
    category: 'third_party_disclosure',
    steps: [
      ['告诉', '通知', '联系', '找', '曝光', '群发', '打给', '发给'],
      ['你', '你家', '你们'],
      [
        '家人',
        '家里人',
        '人',
        '父母',
        '老婆',
        '老公',
        '同事',
        '领导',
        '单位',
        '公司',
        '朋友',
        '邻居',
        '通讯录',
        '亲戚',
      ],
    ],
    window: 4,
  },
  {
    category: 'third_party_disclosure',
    steps: [
      ['曝光', '群发', '发给', '发到', '公开'],
      ['通讯录', '朋友圈', '亲友', '所有人', '家人', '同事', '单位'],
    ],
    window: 4,
  },
  {
    category: 'third_party_disclosure',
    steps: [
      ['通讯录', '朋友圈', '亲友'],
      ['群发', '曝光', '发', '通知'],
    ],
    window: 3,
  },
];

const enRules: QaRule[] = [
  { category: 'threat', steps: [['hurt', 'kill']] },
  { category: 'threat', steps: [['you'], ['will', 'll'], ['regret', 'pay', 'suffer']], window: 3 },
  {
    category: 'threat',
    steps: [['come', 'show', 'turn'], ['to', 'up'], ['your'], ['house', 'home', 'door', 'work', 'office']],
    window: 4,
  },
  { category: 'threat', steps: [['or'], ['else']] },
  {
    category: 'insult',
    steps: [['idiot', 'loser', 'deadbeat', 'scum', 'stupid', 'moron', 'liar', 'thief', 'cheat', 'bum']],
  },
  {
    category: 'impersonation',
    steps: [
      ['i', 'we', 'this'],
      ['am', 'are', 'is'],
      ['the', 'a', 'an', 'from'],
      ['police', 'sheriff', 'court', 'fbi', 'officer', 'marshal', 'government', 'irs', 'judge'],
    ],
    window: 4,
  },
  {
    category: 'impersonation',
    steps: [
      ['officer', 'detective', 'agent', 'sheriff', 'marshal'],
      ['from', 'of'],
      ['the'],
      ['police', 'court', 'department', 'government'],
    ],
    window: 4,
  },
  {
    category: 'false_consequence',
    steps: [
      ['arrest', 'arrested', 'jail', 'prison', 'imprisoned', 'deport', 'deported', 'warrant', 'criminal'],
    ],
  },
  {
    category: 'false_consequence',
    steps: [['seize', 'take'], ['your'], ['house', 'home', 'children', 'kids', 'wages']],
    window: 3,
  },
  {
    category: 'third_party_disclosure',
    steps: [
      ['tell', 'call', 'contact', 'inform', 'notify', 'email', 'text'],
      ['your'],
      [
        'employer',
        'boss',
        'family',
        'wife',
        'husband',
        'parents',
        'neighbours',
        'neighbors',
        'friends',
        'colleagues',
        'coworkers',
      ],
    ],
    window: 3,
  },
];

let segmenter: Jieba | null = null;

/** jieba with its bundled dictionary (5 MB, read on first use, not when a process merely imports this). */
function jieba(): Jieba {
  if (segmenter === null) {
    const { dict } = createRequire(import.meta.url)('@node-rs/jieba/dict.js') as { dict: Buffer };
    segmenter = Jieba.withDict(dict);
  }
  return segmenter;
}

/** zh-CN when the text has CJK ideographs, else en. */
export function detectLanguage(text: string): 'zh-CN' | 'en' {
  return /[\u3400-\u9fff]/.test(text) ? 'zh-CN' : 'en';
}

export function words(text: string, language: 'zh-CN' | 'en'): string[] {
  if (language === 'zh-CN') {
    // jieba keeps ASCII runs as words: English inside Chinese text is lower-cased like English
    return jieba()
      .cut(text, false)
      .map((word) => word.trim().toLowerCase())
      .filter((word) => word !== '' && !/^[\p{P}\p{S}\s]+$/u.test(word));
  }
  return text.toLowerCase().match(/[a-z]+/g) ?? [];
}

function matchRule(tokens: readonly string[], rule: QaRule, start: number): number | null {
  const window = rule.window ?? 1;
  let position = start;
  for (const [index, alternatives] of rule.steps.entries()) {
    const limit = index === 0 ? position + 1 : Math.min(tokens.length, position + window + 1);
    let found = -1;
    for (let i = index === 0 ? position : position + 1; i < limit; i++) {
      if (alternatives.includes(tokens[i] as string)) {
        found = i;
        break;
      }
    }
    if (found < 0) return null;
    position = found;
  }
  return position;
}

/** Checks a text; every category found once per place, in the order of the text. */
export function checkText(text: string, language: 'zh-CN' | 'en' = detectLanguage(text)): QaResult {
  const tokens = words(text, language);
  const rules = language === 'zh-CN' ? [...zhRules, ...enRules] : enRules;
  const findings: QaFinding[] = [];
  // a category found once per stretch of text: matches overlapping the last one of it are the same place
  const lastEnd = new Map<QaCategory, number>();
  for (let start = 0; start < tokens.length; start++) {
    for (const rule of rules) {
      const end = matchRule(tokens, rule, start);
      if (end === null) continue;
      if (start <= (lastEnd.get(rule.category) ?? -1)) continue;
      lastEnd.set(rule.category, end);
      findings.push({
        category: rule.category,
        matched: tokens.slice(start, end + 1).join(language === 'zh-CN' ? '' : ' '),
        at: start,
      });
    }
  }
  return { language, passed: findings.length === 0, findings };
}

/**
 * Where a weekly QA sample comes from: an agent's note, an e-mail or SMS the agent sent (its text as
 * sent), or a call the agent placed (its disposition, duration, recording reference and note).
 */
export const qaSources = ['note', 'message', 'call'] as const;
export type QaSource = (typeof qaSources)[number];

const spoken: readonly QaSource[] = ['note', 'call'];
const every: readonly QaSource[] = qaSources;

/**
 * The scorecard of a weekly QA sample: each criterion scored 0–its weight by the reviewer, on the
 * sources it applies to — a written message has no person to verify and no disposition to record,
 * but must carry its opt-out line and required disclosures. A sample's total is out of 100: the sum
 * over the criteria of its source, scaled by 100 / their weights (notes and calls: 100 already).
 */
export const scorecard = [
  {
    key: 'identified',
    weight: 15,
    sources: every,
    label: { 'zh-CN': '表明机构身份与委托方', en: 'Identified the agency and the creditor' },
  },
  {
    key: 'right_party',
    weight: 15,
    sources: spoken,
    label: { 'zh-CN': '核实对方身份后再谈欠款', en: 'Verified the person before discussing the debt' },
  },
  {
    key: 'accurate',
    weight: 20,
    sources: every,
    label: { 'zh-CN': '金额与后果陈述准确', en: 'Amounts and consequences stated accurately' },
  },
  {
    key: 'conduct',
    weight: 25,
    sources: every,
    label: {
      'zh-CN': '无威胁、侮辱、冒充或向第三方透露',
      en: 'No threats, insults, impersonation or third-party disclosure',
    },
  },
  { key: 'courtesy', weight: 10, sources: every, label: { 'zh-CN': '文明礼貌', en: 'Courteous' } },
  {
    key: 'recorded',
    weight: 15,
    sources: spoken,
    label: {
      'zh-CN': '记录完整（处置代码、录音、备注）',
      en: 'Complete record (disposition, recording, notes)',
    },
  },
  {
    key: 'disclosures',
    weight: 15,
    sources: ['message'] as readonly QaSource[],
    label: {
      'zh-CN': '含退订方式与必要告知',
      en: 'Carries the opt-out and the required disclosures',
    },
  },
] as const;
export type ScorecardKey = (typeof scorecard)[number]['key'];

/** The criteria a sample of `source` is scored on. */
export function criteriaFor(source: QaSource) {
  return scorecard.filter((criterion) => criterion.sources.includes(source));
}

/**
 * The sample's total out of 100; refuses a score outside a criterion's range, a missing one, and one
 * for a criterion that does not apply to the source.
 */
export function scoreSample(
  scores: Record<string, number>,
  source: QaSource = 'note',
): { total: number; problems: string[] } {
  const problems: string[] = [];
  let sum = 0;
  let weights = 0;
  for (const criterion of criteriaFor(source)) {
    weights += criterion.weight;
    const value = scores[criterion.key];
    if (value === undefined) problems.push(`${criterion.key} is not scored`);
    else if (!Number.isInteger(value) || value < 0 || value > criterion.weight) {
      problems.push(`${criterion.key} is scored 0–${criterion.weight}, not ${value}`);
    } else sum += value;
  }
  for (const key of Object.keys(scores)) {
    const criterion = scorecard.find((c) => c.key === key);
    if (!criterion) problems.push(`${key} is not a criterion`);
    else if (!criterion.sources.includes(source)) problems.push(`${key} does not apply to a ${source}`);
  }
  return { total: weights === 100 ? sum : Math.round((sum * 100) / weights), problems };
}
