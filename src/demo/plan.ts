/**
 * The demo agency as data, decided before anything is written: its clients and contracts, its people,
 * every placed account and every payment of the last six months. Pure and deterministic: the same
 * seed, number of accounts and business date always give the same plan. `seed.ts` carries it out
 * through the modules' services.
 */
import { chineseName, mobileNumber, prcIdCheckDigit, Random } from '../../bench/generate.ts';
import type { ContractTerms } from '../clients/model.ts';
import type { Role } from '../identity/principal.ts';

export type ClientKey = 'card' | 'loan' | 'telecom';

export interface DemoClient {
  key: ClientKey;
  code: string;
  name: string;
  /** The terms of version 1, in force from `effectiveDaysAgo` days before today. */
  terms: Partial<ContractTerms>;
  effectiveDaysAgo: number;
  /** A later contract version: its changes and how many days ago it took effect. */
  change?: { terms: Partial<ContractTerms>; effectiveDaysAgo: number };
  refPrefix: string;
  refDigits: number;
  /** Share of the demo's accounts. */
  share: number;
  /** Placement batches, oldest first: days before today (nominal) and share of the client's rows. */
  batches: { daysAgo: number; share: number; pending?: boolean }[];
  products: readonly string[];
  creditor: string;
  /** Median placed principal in minor units and its spread (lognormal). */
  principalMedian: number;
  principalSigma: number;
  interestShare: number;
  feesMax: number;
  penaltyShare: number;
  /** Days from delinquency to the placement, at least and at most (most accounts placed early). */
  delinquentBefore: [number, number];
  /** Share of payments made straight to the client (客户直还). */
  directShare: number;
  /** Regions its debtors mostly live in. */
  regions: readonly Region[];
}

type Region = readonly [code: string, city: string, province: string, postal: string];

const nationalRegions: readonly Region[] = [
  ['110105', '北京市', '北京市', '100020'],
  ['310104', '上海市', '上海市', '200030'],
  ['440106', '广州市', '广东省', '510630'],
  ['440305', '深圳市', '广东省', '518052'],
  ['330106', '杭州市', '浙江省', '310012'],
  ['320106', '南京市', '江苏省', '210024'],
  ['510107', '成都市', '四川省', '610041'],
  ['420102', '武汉市', '湖北省', '430014'],
  ['500105', '重庆市', '重庆市', '400020'],
  ['610104', '西安市', '陕西省', '710082'],
  ['370102', '济南市', '山东省', '250011'],
  ['430105', '长沙市', '湖南省', '410005'],
  ['350102', '福州市', '福建省', '350001'],
  ['410105', '郑州市', '河南省', '450008'],
];
const guangdongRegions: readonly Region[] = [
  ['440103', '广州市', '广东省', '510150'],
  ['440106', '广州市', '广东省', '510630'],
  ['440304', '深圳市', '广东省', '518048'],
  ['440305', '深圳市', '广东省', '518052'],
  ['440604', '佛山市', '广东省', '528000'],
  ['441900', '东莞市', '广东省', '523000'],
  ['440402', '珠海市', '广东省', '519000'],
  ['441302', '惠州市', '广东省', '516001'],
];
const streets = [
  '人民路',
  '中山路',
  '解放路',
  '建设路',
  '天河路',
  '滨江大道',
  '新华街',
  '东风路',
  '学府路',
  '科技园路',
];
const mailDomains = ['qq.com', '163.com', '126.com', 'sina.com', 'foxmail.com'] as const;

export const demoClients: readonly DemoClient[] = [
  {
    key: 'card',
    code: 'HY-CARD',
    name: '鸿远银行信用卡中心',
    terms: {
      commission: [
        { fromDpd: 0, toDpd: 90, rateBp: 1500 },
        { fromDpd: 91, toDpd: 180, rateBp: 2500 },
        { fromDpd: 181, toDpd: null, rateBp: 3500 },
      ],
      netting: true,
      discountLimitBp: 1000,
    },
    effectiveDaysAgo: 240,
    refPrefix: '6259',
    refDigits: 12,
    share: 0.45,
    batches: [
      { daysAgo: 172, share: 0.4 },
      { daysAgo: 100, share: 0.35 },
      { daysAgo: 25, share: 0.25 },
    ],
    products: ['credit_card'],
    creditor: '鸿远银行股份有限公司',
    principalMedian: 1_500_000,
    principalSigma: 0.9,
    interestShare: 0.25,
    feesMax: 30_000,
    penaltyShare: 0.08,
    delinquentBefore: [5, 330],
    directShare: 0.1,
    regions: nationalRegions,
  },
  {
    key: 'loan',
    code: 'YD-CF',
    name: '易达消费金融有限公司',
    terms: {
      waterfall: ['principal', 'interest', 'fees', 'penalty'],
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 2200 }],
      netting: true,
      discountLimitBp: 3000,
      accrualAllowed: false,
    },
    effectiveDaysAgo: 240,
    refPrefix: 'YDXF',
    refDigits: 10,
    share: 0.33,
    batches: [
      { daysAgo: 165, share: 0.55 },
      { daysAgo: 50, share: 0.45 },
    ],
    products: ['personal_loan', 'personal_loan', 'personal_loan', 'auto_loan'],
    creditor: '易达消费金融有限公司',
    principalMedian: 800_000,
    principalSigma: 0.8,
    interestShare: 0.2,
    feesMax: 20_000,
    penaltyShare: 0.06,
    delinquentBefore: [20, 700],
    directShare: 0.15,
    regions: nationalRegions,
  },
  {
    key: 'telecom',
    code: 'HC-TEL',
    name: '海川电信广东分公司',
    terms: {
      commission: [{ fromDpd: 0, toDpd: null, rateBp: 2000 }],
      netting: false,
      discountLimitBp: 5000,
      accrualAllowed: false,
    },
    effectiveDaysAgo: 240,
    // the new rate for accounts collected from three months ago: harder, older debt
    change: { terms: { commission: [{ fromDpd: 0, toDpd: null, rateBp: 2500 }] }, effectiveDaysAgo: 95 },
    refPrefix: 'HCT',
    refDigits: 11,
    share: 0.22,
    batches: [
      { daysAgo: 150, share: 0.45 },
      { daysAgo: 40, share: 0.35 },
      { daysAgo: 2, share: 0.2, pending: true },
    ],
    products: ['telecom', 'telecom', 'telecom', 'utility'],
    creditor: '海川电信广东分公司',
    principalMedian: 38_000,
    principalSigma: 0.7,
    interestShare: 0,
    feesMax: 3_000,
    penaltyShare: 0.05,
    delinquentBefore: [10, 360],
    directShare: 0.3,
    regions: guangdongRegions,
  },
];

export interface DemoTeam {
  name: string;
  clients: ClientKey[];
}

export const demoTeams: readonly DemoTeam[] = [
  { name: '信用卡一组', clients: ['card'] },
  { name: '消金通信组', clients: ['loan', 'telecom'] },
];

export interface DemoUser {
  username: string;
  displayName: string;
  role: Role;
  team?: string;
  client?: ClientKey;
  approvalLimitMinor?: bigint;
  what: string;
}

/** Known demo password (meets the policy; no change forced at first login). */
export const demoPassword = 'huikuan-demo';

export const demoUsers: readonly DemoUser[] = [
  {
    username: 'admin',
    displayName: '陈立 (管理员)',
    role: 'admin',
    what: 'users, teams, clients, everything',
  },
  {
    username: 'supervisor',
    displayName: '刘敏 (主管)',
    role: 'supervisor',
    team: '信用卡一组',
    approvalLimitMinor: 5_000_000n,
    what: 'team results, approvals inbox (limit ¥50,000), the pending batch',
  },
  {
    username: 'agent.wang',
    displayName: '王磊',
    role: 'agent',
    team: '信用卡一组',
    what: 'agent, 鸿远银行信用卡中心',
  },
  {
    username: 'agent.li',
    displayName: '李娜',
    role: 'agent',
    team: '信用卡一组',
    what: 'agent, 鸿远银行信用卡中心',
  },
  {
    username: 'agent.zhao',
    displayName: '赵强',
    role: 'agent',
    team: '消金通信组',
    what: 'agent, 易达消费金融 and 海川电信',
  },
  {
    username: 'finance',
    displayName: '孙丽 (财务)',
    role: 'finance',
    what: 'payment files, claims to verify, remittances',
  },
  {
    username: 'compliance',
    displayName: '周洁 (合规)',
    role: 'compliance',
    what: 'audit trail, PII reveals',
  },
  {
    username: 'client.hy',
    displayName: '鸿远银行 委外管理',
    role: 'client',
    client: 'card',
    what: 'client portal, HY-CARD',
  },
  {
    username: 'client.yd',
    displayName: '易达消金 资产管理部',
    role: 'client',
    client: 'loan',
    what: 'client portal, YD-CF',
  },
  {
    username: 'client.hc',
    displayName: '海川电信 欠费管理',
    role: 'client',
    client: 'telecom',
    what: 'client portal, HC-TEL',
  },
];

// ------------------------------------------------------------------------ dates

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Six windows of 30 days; window 5 ends yesterday. */
export const windows = 6;
export function windowStart(today: string, k: number): string {
  return addDays(today, -180 + 30 * k);
}
export function windowEnd(today: string, k: number): string {
  return addDays(today, -151 + 30 * k);
}
function windowOf(today: string, date: string): number {
  for (let k = 0; k < windows; k++) if (date <= windowEnd(today, k)) return k;
  return windows - 1;
}

// ------------------------------------------------------------------------ accounts

export interface PlannedAccount {
  client: ClientKey;
  batch: number;
  ref: string;
  name: string;
  idNumber: string;
  phones: string[];
  email: string;
  address: string;
  city: string;
  province: string;
  postal: string;
  product: string;
  principal: number;
  interest: number;
  fees: number;
  penalty: number;
  delinquency: string;
  chargeOff: string;
  openDate: string;
  notes: string;
}

export const totalOf = (a: PlannedAccount): number => a.principal + a.interest + a.fees + a.penalty;

export interface PlannedBatch {
  client: ClientKey;
  index: number;
  name: string;
  placedOn: string;
  pending: boolean;
  accounts: PlannedAccount[];
}

export const placementFileHeaders = [
  'client_account_ref',
  'debtor_name',
  'debtor_id_number',
  'phone_1',
  'phone_2',
  'email',
  'address',
  'city',
  'region',
  'postal_code',
  'product_type',
  'original_creditor',
  'currency',
  'principal',
  'interest',
  'fees',
  'penalty',
  'delinquency_date',
  'charge_off_date',
  'open_date',
  'notes',
] as const;

export function yuan(minor: number): string {
  return `${Math.floor(minor / 100)}.${pad(minor % 100, 2)}`;
}

export function placementRow(a: PlannedAccount, creditor: string): string[] {
  return [
    a.ref,
    a.name,
    a.idNumber,
    a.phones[0] ?? '',
    a.phones[1] ?? '',
    a.email,
    a.address,
    a.city,
    a.province,
    a.postal,
    a.product,
    creditor,
    'CNY',
    yuan(a.principal),
    yuan(a.interest),
    yuan(a.fees),
    yuan(a.penalty),
    a.delinquency,
    a.chargeOff,
    a.openDate,
    a.notes,
  ];
}

function monthName(date: string): string {
  return `${date.slice(0, 4)}年${Number(date.slice(5, 7))}月`;
}

function planAccounts(client: DemoClient, count: number, today: string, random: Random): PlannedBatch[] {
  const batches: PlannedBatch[] = [];
  let serial = 0;
  let assigned = 0;
  const people: { name: string; idNumber: string; phones: string[]; region: Region }[] = [];
  client.batches.forEach((spec, index) => {
    const last = index === client.batches.length - 1;
    const rows = last ? count - assigned : Math.round(count * spec.share);
    assigned += rows;
    const placedOn = addDays(today, -spec.daysAgo);
    const accounts: PlannedAccount[] = [];
    for (let i = 0; i < rows; i++) {
      serial += 1;
      // a few debtors owe the client on a second account (a second card, a second loan)
      const again = people.length > 20 && random.chance(0.03) ? random.pick(people) : null;
      const region = again?.region ?? random.pick(client.regions);
      let idNumber = again?.idNumber;
      if (!idNumber) {
        const birth = `${random.int(1960, 2003)}${pad(random.int(1, 12), 2)}${pad(random.int(1, 28), 2)}`;
        const first17 = `${region[0]}${birth}${pad(random.int(0, 999), 3)}`;
        idNumber = first17 + prcIdCheckDigit(first17);
      }
      const name = again?.name ?? chineseName(random);
      const phones =
        again?.phones ??
        (random.chance(0.4) ? [mobileNumber(random), mobileNumber(random)] : [mobileNumber(random)]);
      if (!again) people.push({ name, idNumber, phones, region });
      const principal = Math.max(
        5_000,
        Math.round(random.lognormal(Math.log(client.principalMedian), client.principalSigma) / 100) * 100,
      );
      const interest = Math.round(principal * client.interestShare * random.next());
      const fees = random.chance(0.6) ? random.int(0, client.feesMax) : 0;
      const penalty = random.chance(0.5) ? Math.round(principal * client.penaltyShare * random.next()) : 0;
      const [early, late] = client.delinquentBefore;
      const u = random.next();
      const delinquency = addDays(placedOn, -(early + Math.floor(u * u * (late - early))));
      const chargeOffDate = addDays(delinquency, 180);
      accounts.push({
        client: client.key,
        batch: index,
        ref: `${client.refPrefix}${pad(serial * 7919 + random.int(0, 7918), client.refDigits)}`,
        name,
        idNumber,
        phones,
        email: random.chance(0.25) ? `${random.int(10_000, 9_999_999)}@${random.pick(mailDomains)}` : '',
        address: `${region[1]}${random.pick(streets)}${random.int(1, 888)}号${random.int(1, 30)}栋${random.int(101, 2808)}室`,
        city: region[1],
        province: region[2],
        postal: region[3],
        product: random.pick(client.products),
        principal,
        interest,
        fees,
        penalty,
        delinquency,
        chargeOff: client.key === 'card' && chargeOffDate <= placedOn ? chargeOffDate : '',
        openDate: addDays(delinquency, -random.int(200, 2500)),
        notes: random.chance(0.04)
          ? random.pick(['客户称已还款，待核实', '联系人电话空号', '债务人已搬迁'])
          : '',
      });
    }
    batches.push({
      client: client.key,
      index,
      name: `${client.name} ${monthName(placedOn)}委案 第${index + 1}批`,
      placedOn,
      pending: spec.pending === true,
      accounts,
    });
  });
  return batches;
}

// ------------------------------------------------------------------------ payments

export type Channel = 'bank_transfer' | 'card' | 'cash' | 'alipay' | 'wechat_pay' | 'direct_to_client';

export interface PlannedPayment {
  client: ClientKey;
  window: number;
  externalId: string;
  ref: string;
  amountMinor: number;
  paidOn: string;
  paidAt: string;
  channel: Channel;
  payer: string;
  reference: string;
}

/** The payment file's columns, in the order the bench generator writes them. */
export { paymentHeaders as paymentFileHeaders } from '../../bench/generate.ts';

export function paymentRow(p: PlannedPayment): string[] {
  return [p.externalId, p.ref, yuan(p.amountMinor), 'CNY', p.paidAt, p.channel, p.payer, p.reference];
}

/** Accounts the demo's ledger events and claims act on; they get no random payments. */
export interface SpecialAccounts {
  discountPosted: PlannedAccount;
  settlementApproved: PlannedAccount;
  writeOffApproved: PlannedAccount;
  writeOffPending: PlannedAccount;
  settlementPending: PlannedAccount;
  settlementAgreed: PlannedAccount;
  discountRejected: PlannedAccount;
  discountPending: PlannedAccount;
  adjustmentApproved: PlannedAccount;
  adjustmentPending: PlannedAccount;
  recallApproved: PlannedAccount;
  recallPending: PlannedAccount;
  writeOffSmall: PlannedAccount;
  claimVerified: PlannedAccount;
  claimRejected: PlannedAccount;
  claimPendingCard: PlannedAccount;
  claimPendingLoan: PlannedAccount;
}

export interface DemoPlan {
  today: string;
  seed: number;
  batches: PlannedBatch[];
  payments: PlannedPayment[];
  special: SpecialAccounts;
  /** The two instalments of the agreed settlement and the payment of the approved one. */
  settlementPayments: PlannedPayment[];
  /** Payments to reverse, with the reversal's date and reason. */
  reversals: { payment: PlannedPayment; on: string; reason: string }[];
}

const channelsTrust: readonly Channel[] = [
  'bank_transfer',
  'bank_transfer',
  'bank_transfer',
  'alipay',
  'alipay',
  'wechat_pay',
  'wechat_pay',
  'card',
  'cash',
];

function paymentTime(random: Random, date: string): string {
  return `${date} ${pad(random.int(8, 21), 2)}:${pad(random.int(0, 59), 2)}:${pad(random.int(0, 59), 2)}`;
}

/** Whole yuan most of the time, as people pay. */
function roundish(random: Random, minor: number): number {
  if (random.chance(0.7))
    return Math.max(100, Math.round(minor / 10_000) * 10_000 || Math.round(minor / 100) * 100);
  return Math.max(100, minor);
}

function pickSpecial(
  batches: PlannedBatch[],
  client: ClientKey,
  count: number,
  range: [number, number],
): PlannedAccount[] {
  const first = batches.find((b) => b.client === client && b.index === 0);
  if (!first) throw new Error(`no first batch for ${client}`);
  const seenIds = new Set<string>();
  const fits: PlannedAccount[] = [];
  const rest: PlannedAccount[] = [];
  for (const a of first.accounts) {
    // one account per debtor, so each story stays on its own
    if (seenIds.has(a.idNumber)) continue;
    seenIds.add(a.idNumber);
    const total = totalOf(a);
    (total >= range[0] && total <= range[1] ? fits : rest).push(a);
  }
  const chosen = [...fits, ...rest].slice(0, count);
  if (chosen.length < count) throw new Error(`not enough accounts of ${client} for the demo's events`);
  return chosen;
}

export function buildPlan(input: { accounts: number; seed: number; today: string }): DemoPlan {
  const { today, seed } = input;
  const accountsRandom = new Random(seed);
  const batches: PlannedBatch[] = [];
  let assigned = 0;
  demoClients.forEach((client, i) => {
    const count =
      i === demoClients.length - 1 ? input.accounts - assigned : Math.round(input.accounts * client.share);
    assigned += count;
    batches.push(...planAccounts(client, count, today, accountsRandom));
  });

  const [
    discountPosted,
    settlementApproved,
    writeOffApproved,
    writeOffPending,
    settlementPending,
    claimRejected,
    claimPendingCard,
  ] = pickSpecial(batches, 'card', 7, [300_000, 4_000_000]) as [
    PlannedAccount,
    PlannedAccount,
    PlannedAccount,
    PlannedAccount,
    PlannedAccount,
    PlannedAccount,
    PlannedAccount,
  ];
  const [
    settlementAgreed,
    discountRejected,
    discountPending,
    adjustmentApproved,
    adjustmentPending,
    claimPendingLoan,
  ] = pickSpecial(batches, 'loan', 6, [200_000, 4_000_000]) as [
    PlannedAccount,
    PlannedAccount,
    PlannedAccount,
    PlannedAccount,
    PlannedAccount,
    PlannedAccount,
  ];
  const [recallApproved, recallPending, writeOffSmall, claimVerified] = pickSpecial(
    batches,
    'telecom',
    4,
    [10_000, 500_000],
  ) as [PlannedAccount, PlannedAccount, PlannedAccount, PlannedAccount];
  const special: SpecialAccounts = {
    discountPosted,
    settlementApproved,
    writeOffApproved,
    writeOffPending,
    settlementPending,
    settlementAgreed,
    discountRejected,
    discountPending,
    adjustmentApproved,
    adjustmentPending,
    recallApproved,
    recallPending,
    writeOffSmall,
    claimVerified,
    claimRejected,
    claimPendingCard,
    claimPendingLoan,
  };
  const specialRefs = new Set(Object.values(special).map((a) => a.ref));

  const random = new Random(seed ^ 0x5eed);
  const payments: PlannedPayment[] = [];
  const partialPayments: PlannedPayment[] = [];
  const serials = new Map<string, number>();
  const externalId = (client: DemoClient, date: string) => {
    const key = `${client.key}${date.slice(0, 7)}`;
    const n = (serials.get(key) ?? 0) + 1;
    serials.set(key, n);
    return `${client.refPrefix.slice(0, 2)}${date.slice(0, 7).replace('-', '')}${pad(n, 6)}`;
  };
  const yesterday = addDays(today, -1);
  const firstDay = windowStart(today, 0);
  const make = (
    client: DemoClient,
    a: PlannedAccount,
    amountMinor: number,
    date: string,
    channel?: Channel,
  ) => {
    const ch =
      channel ?? (random.chance(client.directShare) ? 'direct_to_client' : random.pick(channelsTrust));
    const payment: PlannedPayment = {
      client: client.key,
      window: windowOf(today, date),
      externalId: '',
      ref: a.ref,
      amountMinor,
      paidOn: date,
      paidAt: paymentTime(random, date),
      channel: ch,
      payer: random.chance(0.85) ? a.name : random.chance(0.5) ? chineseName(random) : '',
      reference: random.chance(0.5) ? `还款 ${a.ref}` : '',
    };
    return payment;
  };

  for (const batch of batches) {
    if (batch.pending) continue;
    const client = demoClients.find((c) => c.key === batch.client) as DemoClient;
    // payments start a few days after the placement, and not before the six months shown
    const start = [addDays(batch.placedOn, 3), firstDay].sort()[1] as string;
    const span = (Date.parse(yesterday) - Date.parse(start)) / 86_400_000;
    if (span < 1) continue;
    for (const a of batch.accounts) {
      if (specialRefs.has(a.ref)) continue;
      const total = totalOf(a);
      const r = random.next();
      const noneShare = client.key === 'telecom' ? 0.58 : 0.52;
      if (r < noneShare) continue;
      if (r < noneShare + 0.24) {
        // one to three partial payments, skewed small
        const n = random.int(1, 3);
        const dates = Array.from({ length: n }, () => addDays(start, random.int(0, span))).sort();
        let left = total;
        for (const date of dates) {
          const want = roundish(random, Math.round(random.lognormal(Math.log(total * 0.12), 0.8)));
          const amount = Math.min(want, Math.floor(left * 0.7));
          if (amount < 100) break;
          left -= amount;
          const p = make(client, a, amount, date);
          payments.push(p);
          partialPayments.push(p);
        }
      } else if (r < noneShare + 0.24 + 0.16) {
        // an instalment plan: the same amount every month from the first payment on
        const months = random.int(4, 12);
        const instalment = Math.max(100, Math.ceil(total / months / 100) * 100);
        let date = addDays(start, random.int(0, Math.min(40, span)));
        let left = total;
        while (date <= yesterday && left > 0) {
          const amount = Math.min(instalment, left);
          payments.push(make(client, a, amount, date));
          left -= amount;
          date = addDays(date, random.int(28, 33));
        }
      } else {
        // paid in full at once; a third of them pay a little too much (rounded up, a fee added twice)
        const over = random.chance(0.35) ? random.int(1, 500) * 100 : 0;
        payments.push(make(client, a, total + over, addDays(start, random.int(0, span))));
      }
    }
  }

  // the stories' payments: the agreed settlement in two instalments, the approved one in one
  const loan = demoClients[1] as DemoClient;
  const card = demoClients[0] as DemoClient;
  const agreed = settlementAgreedMinor(settlementAgreed);
  const firstHalf = Math.round(agreed / 2 / 100) * 100;
  const settlementPayments = [
    make(loan, settlementAgreed, firstHalf, addDays(windowStart(today, 2), 6), 'bank_transfer'),
    make(loan, settlementAgreed, agreed - firstHalf, addDays(windowStart(today, 3), 9), 'bank_transfer'),
    make(
      card,
      settlementApproved,
      settlementApprovedMinor(settlementApproved),
      addDays(windowStart(today, 3), 12),
      'alipay',
    ),
  ];
  payments.push(...settlementPayments);

  payments.sort((x, y) => (x.paidAt < y.paidAt ? -1 : x.paidAt > y.paidAt ? 1 : 0));
  for (const p of payments) {
    p.externalId = externalId(demoClients.find((c) => c.key === p.client) as DemoClient, p.paidOn);
  }

  // a few reversals: bounced transfers, a payment booked twice, a payment of another account
  const reasons = [
    '银行退票：付款账户余额不足',
    '重复入账',
    '付款人撤回（银行退汇）',
    '错误入账：款项属于其他案件',
  ];
  const reversals: DemoPlan['reversals'] = [];
  const candidates = partialPayments.filter(
    (p) =>
      p.window <= 4 && p.channel !== 'direct_to_client' && addDays(p.paidOn, 5) <= windowEnd(today, p.window),
  );
  const usedRefs = new Set<string>();
  for (
    let i = 0;
    i < candidates.length && reversals.length < reasons.length;
    i += Math.max(1, Math.floor(candidates.length / 5))
  ) {
    const p = candidates[i] as PlannedPayment;
    if (usedRefs.has(p.ref)) continue;
    usedRefs.add(p.ref);
    reversals.push({ payment: p, on: addDays(p.paidOn, 3), reason: reasons[reversals.length] as string });
  }
  return { today, seed, batches, payments, special, settlementPayments, reversals };
}

/** The agreed settlement (within the consumer-finance lender's 30% limit): 80% of the balance. */
export function settlementAgreedMinor(a: PlannedAccount): number {
  return Math.round((totalOf(a) * 0.8) / 100) * 100;
}

/** The card settlement above the limit, approved by the supervisor: 55% of the balance. */
export function settlementApprovedMinor(a: PlannedAccount): number {
  return Math.round((totalOf(a) * 0.55) / 100) * 100;
}

export function csvLine(values: readonly string[]): string {
  return `${values.map((v) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(',')}\n`;
}
