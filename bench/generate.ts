/**
 * Seeded, deterministic generators of realistic agency files for the benchmarks (and tests):
 * Chinese and English names, lognormal-ish balances, real-looking mobile numbers and PRC ID
 * numbers with valid check digits, and a few per cent of bad rows of the kinds real files carry
 * (bad dates, `12.345`, bad check digits, duplicates, unknown accounts).
 *
 * The same seed always gives the same bytes.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/** sfc32: small, fast, good enough for test data, and identical on every platform. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** exp(N(mu, sigma)): the skewed shape of real balances. */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }
}

// ---------------------------------------------------------------- names, IDs, phones

const surnames = [
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '黄',
  '赵',
  '吴',
  '周',
  '徐',
  '孙',
  '马',
  '朱',
  '胡',
  '郭',
  '何',
  '高',
  '林',
  '罗',
  '郑',
  '梁',
  '谢',
  '宋',
  '唐',
  '许',
  '韩',
  '冯',
  '邓',
  '曹',
  '彭',
  '曾',
  '肖',
  '田',
  '董',
  '袁',
  '潘',
  '于',
  '蒋',
  '蔡',
  '余',
  '杜',
  '叶',
  '程',
  '苏',
  '魏',
  '吕',
  '丁',
  '任',
  '沈',
  '欧阳',
  '司马',
  '诸葛',
] as const;
const givenChars = [
  '伟',
  '芳',
  '娜',
  '秀',
  '英',
  '敏',
  '静',
  '丽',
  '强',
  '磊',
  '军',
  '洋',
  '勇',
  '艳',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '秀兰',
  '霞',
  '平',
  '刚',
  '桂英',
  '华',
  '建',
  '国',
  '文',
  '晓',
  '红',
  '玉',
  '兰',
  '辉',
  '鹏',
  '宇',
  '浩',
  '婷',
  '雪',
  '琳',
  '欣',
  '怡',
  '子',
  '涵',
  '梓',
  '轩',
  '一',
  '诺',
  '思',
  '雨',
  '博',
] as const;
const englishFirst = [
  'James',
  'Mary',
  'John',
  'Patricia',
  'Robert',
  'Jennifer',
  'Michael',
  'Linda',
  'David',
  'Elizabeth',
  'William',
  'Susan',
  'Richard',
  'Jessica',
  'Joseph',
  'Sarah',
  'Thomas',
  'Karen',
  'Wei',
  'Ming',
  'Kevin',
  'Grace',
  'Jason',
  'Vivian',
  'Eric',
  'Cindy',
] as const;
const englishLast = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Wong',
  'Chan',
  'Lee',
  'Cheung',
  'Lau',
  "O'Brien",
  'Nguyen',
  'Tan',
  'Lim',
  'Ng',
  'Ho',
  'Taylor',
] as const;

/** Region codes (first six digits of a PRC ID) with their city and province. */
const regions = [
  ['110101', '北京市', '北京', '100010'],
  ['110105', '北京市', '北京', '100020'],
  ['310104', '上海市', '上海', '200030'],
  ['310115', '上海市', '上海', '200120'],
  ['440103', '广州市', '广东省', '510150'],
  ['440305', '深圳市', '广东省', '518052'],
  ['330106', '杭州市', '浙江省', '310012'],
  ['320102', '南京市', '江苏省', '210002'],
  ['510104', '成都市', '四川省', '610021'],
  ['420106', '武汉市', '湖北省', '430061'],
  ['610113', '西安市', '陕西省', '710061'],
  ['500103', '重庆市', '重庆', '400010'],
  ['370202', '青岛市', '山东省', '266001'],
  ['350203', '厦门市', '福建省', '361001'],
  ['430104', '长沙市', '湖南省', '410013'],
] as const;
const streets = [
  '人民路',
  '解放路',
  '中山路',
  '建设路',
  '和平街',
  '长江路',
  '南京路',
  '科技园路',
  '新华街',
  '文化路',
];
const mobilePrefixes = [
  '130',
  '131',
  '132',
  '133',
  '134',
  '135',
  '136',
  '137',
  '138',
  '139',
  '150',
  '151',
  '152',
  '153',
  '155',
  '156',
  '157',
  '158',
  '159',
  '166',
  '177',
  '180',
  '181',
  '182',
  '183',
  '185',
  '186',
  '187',
  '188',
  '189',
  '198',
  '199',
] as const;
const creditors = [
  '招商银行信用卡中心',
  '平安普惠',
  '中信银行',
  '捷信消费金融',
  '马上消费金融',
  'China Mobile',
  'HSBC China',
];
const productTypes = [
  'credit_card',
  'credit_card',
  'credit_card',
  'personal_loan',
  'personal_loan',
  'auto_loan',
  'mortgage',
  'utility',
  'telecom',
  'b2b_invoice',
  'other',
] as const;

const idWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const idCheckChars = '10X98765432';

/** The ISO 7064 MOD 11-2 check character of the first 17 digits of a PRC ID. */
export function prcIdCheckDigit(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (idWeights[i] ?? 0);
  return idCheckChars[sum % 11] as string;
}

export function isValidPrcId(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  return prcIdCheckDigit(id.slice(0, 17)) === id[17];
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export function chineseName(random: Random): string {
  const surname = random.pick(surnames);
  const given = random.chance(0.6)
    ? random.pick(givenChars) + random.pick(givenChars)
    : random.pick(givenChars);
  return surname + given;
}

export function personName(random: Random): string {
  if (random.chance(0.85)) return chineseName(random);
  return `${random.pick(englishFirst)} ${random.pick(englishLast)}`;
}

export function mobileNumber(random: Random): string {
  return random.pick(mobilePrefixes) + pad(random.int(0, 99_999_999), 8);
}

function isoDate(y: number, m: number, d: number): string {
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

function randomDate(random: Random, fromYear: number, toYear: number): { y: number; m: number; d: number } {
  return { y: random.int(fromYear, toYear), m: random.int(1, 12), d: random.int(1, 28) };
}

/** Charged off about six months after the first missed payment. */
function chargeOff(d: { y: number; m: number; d: number }): string {
  const m = d.m + 6;
  return isoDate(d.y + (m > 12 ? 1 : 0), m > 12 ? m - 12 : m, d.d);
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvLine(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\n`;
}

/** Amount text as files write it, sometimes with thousands separators or a currency sign. */
function amountText(random: Random, minor: number): string {
  const whole = Math.floor(minor / 100);
  const cents = pad(minor % 100, 2);
  const r = random.next();
  if (r < 0.1) return `${whole.toLocaleString('en-US')}.${cents}`;
  if (r < 0.13) return `¥${whole.toLocaleString('en-US')}.${cents}`;
  if (r < 0.2 && cents === '00') return String(whole);
  return `${whole}.${cents}`;
}

/** Writes lines through a file stream, honouring back-pressure. */
class LineWriter {
  private readonly stream;
  constructor(filePath: string) {
    this.stream = createWriteStream(filePath, { encoding: 'utf8' });
  }
  async write(line: string): Promise<void> {
    if (!this.stream.write(line)) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

// ---------------------------------------------------------------- placement file

export const placementHeaders = [
  'client_account_ref',
  'debtor_name',
  'debtor_id_number',
  'date_of_birth',
  'phone_1',
  'phone_2',
  'email',
  'address',
  'city',
  'region',
  'postal_code',
  'country',
  'product_type',
  'original_creditor',
  'currency',
  'principal',
  'interest',
  'fees',
  'penalty',
  'total_due',
  'delinquency_date',
  'charge_off_date',
  'open_date',
  'notes',
] as const;

export interface GeneratedFile {
  path: string;
  rows: number;
  /** Rows deliberately broken (bad value or duplicate). */
  badRows: number;
}

export interface PlacementOptions {
  rows: number;
  seed?: number;
  /** Share of deliberately bad rows (default 0.03). */
  badShare?: number;
  refPrefix?: string;
}

/** The account reference of the i-th generated placement row (0-based). */
export function placementRef(i: number, prefix = 'CC'): string {
  return `${prefix}${pad(i + 1, 9)}`;
}

export async function writePlacementFile(
  filePath: string,
  options: PlacementOptions,
): Promise<GeneratedFile> {
  const random = new Random(options.seed ?? 1);
  const badShare = options.badShare ?? 0.03;
  const prefix = options.refPrefix ?? 'CC';
  const out = new LineWriter(filePath);
  await out.write(csvLine(placementHeaders));
  let badRows = 0;
  for (let i = 0; i < options.rows; i++) {
    const [code, city, region, postal] = random.pick(regions);
    const birth = randomDate(random, 1955, 2002);
    const sequence = pad(random.int(0, 999), 3);
    const first17 = `${code}${pad(birth.y, 4)}${pad(birth.m, 2)}${pad(birth.d, 2)}${sequence}`;
    let idNumber = first17 + prcIdCheckDigit(first17);
    const principal = Math.max(100, Math.round(random.lognormal(Math.log(1_200_000), 1.1)));
    const interest = Math.round(principal * random.next() * 0.25);
    const fees = random.chance(0.6) ? random.int(0, 30_000) : 0;
    const penalty = random.chance(0.4) ? Math.round(principal * random.next() * 0.08) : 0;
    const delinquency = randomDate(random, 2022, 2025);
    const english = random.chance(0.12);
    const name = english ? `${random.pick(englishFirst)} ${random.pick(englishLast)}` : chineseName(random);
    const values: string[] = [
      placementRef(i, prefix),
      name,
      random.chance(0.93) ? idNumber : '',
      isoDate(birth.y, birth.m, birth.d),
      mobileNumber(random),
      random.chance(0.35) ? mobileNumber(random) : '',
      random.chance(0.3)
        ? `user${random.int(1000, 999_999)}@${random.pick(['qq.com', '163.com', 'gmail.com', '126.com'])}`
        : '',
      `${city}${random.pick(streets)}${random.int(1, 999)}号`,
      city,
      region,
      postal,
      'CN',
      random.pick(productTypes),
      random.pick(creditors),
      'CNY',
      amountText(random, principal),
      amountText(random, interest),
      amountText(random, fees),
      amountText(random, penalty),
      random.chance(0.5) ? amountText(random, principal + interest + fees + penalty) : '',
      random.chance(0.8)
        ? isoDate(delinquency.y, delinquency.m, delinquency.d)
        : `${delinquency.y}年${delinquency.m}月${delinquency.d}日`,
      random.chance(0.3) ? chargeOff(delinquency) : '',
      random.chance(0.5)
        ? isoDate(delinquency.y - random.int(1, 6), random.int(1, 12), random.int(1, 28))
        : '',
      random.chance(0.05) ? '客户称已还款，待核实' : '',
    ];
    if (random.chance(badShare)) {
      badRows++;
      const kind = random.int(0, 4);
      if (kind === 0) values[20] = random.pick(['2025-13-01', '31/02/2025', '2025-02-30', 'yesterday']);
      else if (kind === 1) values[15] = '12.345';
      else if (kind === 2) {
        const wrong = idNumber[17] === '0' ? '1' : '0';
        idNumber = first17 + wrong;
        values[2] = idNumber;
      } else if (kind === 3 && i > 0) values[0] = placementRef(random.int(0, i - 1), prefix);
      else values[15] = random.pick(['1e4', '-500.00', 'abc']);
    }
    await out.write(csvLine(values));
  }
  await out.close();
  return { path: filePath, rows: options.rows, badRows };
}

// ---------------------------------------------------------------- payment file

export const paymentHeaders = [
  'external_id',
  'client_account_ref',
  'amount',
  'currency',
  'paid_at',
  'channel',
  'payer_name',
  'reference',
] as const;

const channels = [
  'bank_transfer',
  'bank_transfer',
  'bank_transfer',
  'alipay',
  'alipay',
  'wechat_pay',
  'wechat_pay',
  'card',
  'cash',
  'direct_to_client',
] as const;

export interface PaymentOptions {
  rows: number;
  /** Live account references to pay against. */
  refs: readonly string[];
  seed?: number;
  badShare?: number;
  /** Date payments are made up to (default 2026-03-31), going back ~90 days. */
  until?: string;
  idPrefix?: string;
}

export async function writePaymentFile(filePath: string, options: PaymentOptions): Promise<GeneratedFile> {
  if (options.refs.length === 0) throw new Error('writePaymentFile needs at least one account reference');
  const random = new Random(options.seed ?? 2);
  const badShare = options.badShare ?? 0.03;
  const prefix = options.idPrefix ?? 'TXN';
  const until = Date.parse(`${options.until ?? '2026-03-31'}T00:00:00Z`);
  const out = new LineWriter(filePath);
  await out.write(csvLine(paymentHeaders));
  let badRows = 0;
  // a few accounts pay often (instalment plans), most once or never: square the uniform draw
  const refs = options.refs;
  for (let i = 0; i < options.rows; i++) {
    const u = random.next();
    const ref = refs[Math.floor(u * u * refs.length)] as string;
    const amount = Math.max(100, Math.round(random.lognormal(Math.log(80_000), 1.0)));
    const when = new Date(until - random.int(0, 90) * 86_400_000);
    const date = when.toISOString().slice(0, 10);
    const paidAt = random.chance(0.5)
      ? `${date} ${pad(random.int(8, 21), 2)}:${pad(random.int(0, 59), 2)}:${pad(random.int(0, 59), 2)}`
      : random.chance(0.8)
        ? date
        : date.replaceAll('-', '');
    const channel = random.pick(channels);
    const values: string[] = [
      `${prefix}${pad(i + 1, 10)}`,
      ref,
      amountText(random, amount),
      random.chance(0.3) ? 'CNY' : '',
      paidAt,
      channel,
      random.chance(0.7) ? personName(random) : '',
      random.chance(0.4) ? `还款 ${ref}` : '',
    ];
    if (random.chance(badShare)) {
      badRows++;
      const kind = random.int(0, 5);
      if (kind === 0) values[2] = random.pick(['12.345', '1e4', '0', '-100.00']);
      else if (kind === 1) values[4] = random.pick(['2026-02-30', '03/15/2026', 'today']);
      else if (kind === 2) values[1] = `NOPE${pad(i, 8)}`;
      else if (kind === 3 && i > 0) values[0] = `${prefix}${pad(random.int(1, i), 10)}`;
      else if (kind === 4) values[5] = 'paypal';
      else values[2] = '';
    }
    await out.write(csvLine(values));
  }
  await out.close();
  return { path: filePath, rows: options.rows, badRows };
}
