/**
 * The account list as a spreadsheet (pure, no SQL or I/O): the columns in the user's language, one
 * row of cells per account with amounts as numbers in major units (so Excel can sum them), and the
 * debtor's ID number and phones only in their masked form — an export never holds clear PII.
 */
import type { AccountListItem } from '../accounts/listing.ts';
import { countCap } from '../accounts/listing.ts';
import { minorDigits } from '../shared/money.ts';

/** The most rows one export holds: the list's own count cap, so "more than this" is known exactly. */
export const exportRowCap = countCap;

export type ExportLanguage = 'zh-CN' | 'en';

export interface MaskedPii {
  id_number_masked: string | null;
  phones_masked: string | null;
}

const columns: { key: string; 'zh-CN': string; en: string; width: number; money?: boolean }[] = [
  { key: 'ref', 'zh-CN': '客户账号', en: 'Account ref', width: 16 },
  { key: 'client', 'zh-CN': '委托方', en: 'Client', width: 10 },
  { key: 'batch', 'zh-CN': '批次', en: 'Batch', width: 8 },
  { key: 'debtor', 'zh-CN': '债务人', en: 'Debtor', width: 14 },
  { key: 'id_number', 'zh-CN': '身份证号（脱敏）', en: 'ID number (masked)', width: 22 },
  { key: 'phones', 'zh-CN': '手机号（脱敏）', en: 'Phones (masked)', width: 22 },
  { key: 'status', 'zh-CN': '状态', en: 'Status', width: 12 },
  { key: 'product', 'zh-CN': '产品', en: 'Product', width: 14 },
  { key: 'delinquency', 'zh-CN': '逾期日期', en: 'Delinquency date', width: 12 },
  { key: 'dpd', 'zh-CN': '逾期天数', en: 'Days past due', width: 10 },
  { key: 'bucket', 'zh-CN': '账龄', en: 'Bucket', width: 8 },
  { key: 'currency', 'zh-CN': '币种', en: 'Currency', width: 8 },
  { key: 'principal', 'zh-CN': '本金', en: 'Principal', width: 14, money: true },
  { key: 'interest', 'zh-CN': '利息', en: 'Interest', width: 12, money: true },
  { key: 'fees', 'zh-CN': '费用', en: 'Fees', width: 12, money: true },
  { key: 'penalty', 'zh-CN': '罚息', en: 'Penalty', width: 12, money: true },
  { key: 'balance', 'zh-CN': '余额', en: 'Balance', width: 14, money: true },
];

export function exportColumns(language: ExportLanguage) {
  return columns.map((column) => ({
    header: column[language],
    key: column.key,
    width: column.width,
    style: column.money ? { numFmt: '#,##0.00' } : undefined,
  }));
}

export function toMajor(minor: bigint, currency: string): number {
  const digits = minorDigits(currency);
  return Number(minor) / 10 ** digits;
}

/** One account's cells, in the order of exportColumns. */
export function exportCells(item: AccountListItem, pii: MaskedPii | undefined): (string | number | null)[] {
  return [
    item.ref,
    item.client,
    Number(item.batch_id),
    item.debtor_name,
    pii?.id_number_masked ?? null,
    pii?.phones_masked ?? null,
    item.status,
    item.product_type,
    item.delinquency_date,
    item.days_past_due,
    item.bucket,
    item.currency,
    toMajor(item.principal_minor, item.currency),
    toMajor(item.interest_minor, item.currency),
    toMajor(item.fees_minor, item.currency),
    toMajor(item.penalty_minor, item.currency),
    toMajor(item.balance_minor, item.currency),
  ];
}

/** The refusal when a filter matches more than an export holds (the UI states the same cap). */
export function tooManyRowsMessage(): string {
  return `An export holds at most ${exportRowCap.toLocaleString('en')} accounts and this filter matches more: narrow it (client, batch, status, bucket or balance) and export again.`;
}
