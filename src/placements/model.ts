/**
 * The placement file (formats.md, 委案文件): its columns with their English and Chinese headers, and
 * the validation of one row into typed values. Pure: no SQL, no files, no keys.
 */
import { checkChineseId, checkCountry, checkEmail, normalisePhone } from '../accounts/validate.ts';
import type { ColumnSpec } from '../files/table.ts';
import { parseBusinessDate } from '../shared/dates.ts';
import { formatMinor, isSupportedCurrency, parseAmount, supportedCurrencies } from '../shared/money.ts';

const column = (name: string, aliases: string[], required = false): ColumnSpec => ({
  name,
  aliases,
  required,
});

export const placementColumns: ColumnSpec[] = [
  column(
    'client_account_ref',
    [
      'account_ref',
      'account_reference',
      'account_number',
      'account_no',
      'client_ref',
      '客户账号',
      '案件编号',
      '账号',
    ],
    true,
  ),
  column('debtor_name', ['name', 'debtor', 'customer_name', '姓名', '债务人', '客户姓名'], true),
  column('debtor_id_number', ['id_number', 'national_id', 'id_no', '身份证号', '证件号码', '身份证号码']),
  column('date_of_birth', ['dob', 'birth_date', 'birthday', '出生日期']),
  column('phone_1', ['phone', 'phone1', 'mobile', 'mobile_1', '手机号', '手机号1', '手机', '联系电话1']),
  column('phone_2', ['phone2', 'mobile_2', '联系电话', '手机号2', '联系电话2']),
  column('phone_3', ['phone3', 'mobile_3', '手机号3', '联系电话3']),
  column('email', ['e-mail', 'email_address', '邮箱', '电子邮箱', '电子邮件']),
  column('address', ['street', '地址', '住址']),
  column('city', ['城市']),
  column('region', ['province', 'state', '省份', '省']),
  column('postal_code', ['postcode', 'zip', 'zip_code', '邮编', '邮政编码']),
  column('country', ['国家']),
  column('product_type', ['product', '产品类型']),
  column('original_creditor', ['creditor', '原债权人']),
  column('currency', ['ccy', '币种']),
  column('principal', ['本金'], true),
  column('interest', ['利息']),
  column('fees', ['fee', '费用']),
  column('penalty', ['penalties', '罚息']),
  column('total_due', ['total', 'amount_due', '委案金额', '欠款总额']),
  column('delinquency_date', ['delinquent_date', 'first_delinquency_date', '逾期日期', '首次逾期日'], true),
  column('charge_off_date', ['chargeoff_date', '核销日期']),
  column('last_payment_date', ['最后还款日', '最后还款日期']),
  column('last_payment_amount', ['最后还款金额']),
  column('open_date', ['opened', 'account_open_date', '开户日期']),
  column('notes', ['note', 'remarks', 'comment', '备注']),
];

export const productTypes = [
  'credit_card',
  'personal_loan',
  'auto_loan',
  'mortgage',
  'utility',
  'telecom',
  'b2b_invoice',
  'other',
] as const;

const productTypeNames: Record<string, string> = {
  信用卡: 'credit_card',
  个人贷款: 'personal_loan',
  消费贷: 'personal_loan',
  车贷: 'auto_loan',
  汽车贷款: 'auto_loan',
  房贷: 'mortgage',
  住房贷款: 'mortgage',
  公用事业: 'utility',
  电信: 'telecom',
  企业应收: 'b2b_invoice',
  其他: 'other',
};

const currencyNames: Record<string, string> = {
  人民币: 'CNY',
  RMB: 'CNY',
  美元: 'USD',
  港币: 'HKD',
  港元: 'HKD',
};

/** The values of one good row; PII in clear (the service encrypts it before it leaves the process). */
export interface PlacementValues {
  ref: string;
  debtorName: string;
  idNumber: string | null;
  dateOfBirth: string | null;
  /** E.164, de-duplicated, in column order */
  phones: string[];
  email: string | null;
  address: string | null;
  city: string | null;
  region: string | null;
  postalCode: string | null;
  country: string | null;
  productType: string | null;
  originalCreditor: string | null;
  currency: string;
  principal: bigint;
  interest: bigint;
  fees: bigint;
  penalty: bigint;
  delinquencyDate: string;
  chargeOffDate: string | null;
  lastPaymentDate: string | null;
  lastPaymentAmount: bigint | null;
  openDate: string | null;
  notes: string | null;
}

export interface RowContext {
  /** the client's contract currency */
  currency: string;
  /** the client's country (ISO 3166 alpha-2) */
  country: string;
  /** today's business date, for dates that cannot be in the future */
  today: string;
}

export interface FieldError {
  column: string;
  reason: string;
}

const maxText = 500;

/**
 * One row's checks. Methods on a class rather than closures inside `validatePlacementRow`: under
 * tsx (esbuild keepNames) every closure created per row is also renamed with defineProperty, which
 * cost more than the checks themselves on a million rows.
 */
class RowCheck {
  readonly errors: FieldError[] = [];
  currency: string;
  currencyOk = true;
  constructor(
    readonly values: Record<string, string>,
    readonly context: RowContext,
  ) {
    this.currency = context.currency;
  }

  fail(columnName: string, reason: string): void {
    this.errors.push({ column: columnName, reason });
  }

  hasError(columnName: string): boolean {
    for (const error of this.errors) if (error.column === columnName) return true;
    return false;
  }

  text(name: string, limit = maxText): string | null {
    const value = this.values[name] ?? '';
    if (value === '') return null;
    if (value.length > limit) {
      this.fail(name, `longer than ${limit} characters`);
      return null;
    }
    return value;
  }

  required(name: string, limit = maxText): string {
    const value = this.text(name, limit);
    if (value === null && !this.hasError(name)) this.fail(name, 'required; the cell is empty');
    return value ?? '';
  }

  amount(name: string, isRequired: boolean): bigint | null {
    const value = this.values[name] ?? '';
    if (value === '') {
      if (isRequired) this.fail(name, 'required; the cell is empty');
      return null;
    }
    if (!this.currencyOk) return null;
    const parsed = parseAmount(value, this.currency);
    if (!parsed.ok) {
      this.fail(name, parsed.reason);
      return null;
    }
    return parsed.minor;
  }

  date(name: string, isRequired: boolean, notAfterToday: boolean): string | null {
    const value = this.values[name] ?? '';
    if (value === '') {
      if (isRequired) this.fail(name, 'required; the cell is empty');
      return null;
    }
    const parsed = parseBusinessDate(value);
    if (!parsed.ok) {
      this.fail(name, parsed.reason);
      return null;
    }
    if (notAfterToday && parsed.date > this.context.today) {
      this.fail(name, `${parsed.date} is in the future`);
      return null;
    }
    return parsed.date;
  }
}

/** Validates one row; every problem is reported, each with its column. */
export function validatePlacementRow(
  values: Record<string, string>,
  context: RowContext,
): { ok: true; row: PlacementValues } | { ok: false; errors: FieldError[] } {
  const check = new RowCheck(values, context);
  const { errors } = check;
  const ref = check.required('client_account_ref', 100);
  if (ref !== '' && /[\p{Cc}]/u.test(ref)) check.fail('client_account_ref', 'contains control characters');
  const debtorName = check.required('debtor_name', 200);

  const currencyText = check.text('currency');
  if (currencyText !== null) {
    const code = currencyNames[currencyText] ?? currencyText.toUpperCase();
    if (isSupportedCurrency(code)) check.currency = code;
    else
      check.fail(
        'currency',
        `"${currencyText}" is not a supported currency (${supportedCurrencies.join(', ')})`,
      );
  }
  check.currencyOk = !check.hasError('currency');
  const currency = check.currency;

  const principal = check.amount('principal', true);
  const interest = check.amount('interest', false);
  const fees = check.amount('fees', false);
  const penalty = check.amount('penalty', false);
  const totalDue = check.amount('total_due', false);
  const sum = (principal ?? 0n) + (interest ?? 0n) + (fees ?? 0n) + (penalty ?? 0n);
  const componentsOk =
    !check.hasError('principal') &&
    !check.hasError('interest') &&
    !check.hasError('fees') &&
    !check.hasError('penalty');
  if (componentsOk && principal !== null) {
    if (totalDue !== null && totalDue !== sum) {
      check.fail(
        'total_due',
        `${values.total_due} is not the sum of principal, interest, fees and penalty (${formatMinor(sum, currency)})`,
      );
    } else if (sum === 0n) {
      check.fail(
        'principal',
        'the account owes nothing (principal, interest, fees and penalty are all zero)',
      );
    }
  }
  const lastPaymentAmount = check.amount('last_payment_amount', false);

  const delinquencyDate = check.date('delinquency_date', true, true);
  const chargeOffDate = check.date('charge_off_date', false, true);
  const lastPaymentDate = check.date('last_payment_date', false, true);
  const openDate = check.date('open_date', false, true);
  let dateOfBirth = check.date('date_of_birth', false, true);
  if (openDate && delinquencyDate && openDate > delinquencyDate) {
    check.fail('open_date', `${openDate} is after the delinquency date ${delinquencyDate}`);
  }

  let idNumber: string | null = null;
  const idText = values.debtor_id_number ?? '';
  if (idText !== '') {
    const checked = checkChineseId(idText);
    if (checked.ok) {
      idNumber = checked.value.id;
      dateOfBirth ??= checked.value.birthDate;
    } else check.fail('debtor_id_number', checked.reason);
  }

  let country: string | null = context.country;
  const countryText = check.text('country');
  if (countryText !== null) {
    const checked = checkCountry(countryText);
    if (checked.ok) country = checked.value;
    else check.fail('country', checked.reason);
  }

  const phones: string[] = [];
  for (const name of ['phone_1', 'phone_2', 'phone_3']) {
    const value = values[name] ?? '';
    if (value === '') continue;
    const checked = normalisePhone(value, country ?? context.country);
    if (!checked.ok) check.fail(name, checked.reason);
    else if (!phones.includes(checked.value)) phones.push(checked.value);
  }

  let email: string | null = null;
  const emailText = values.email ?? '';
  if (emailText !== '') {
    const checked = checkEmail(emailText);
    if (checked.ok) email = checked.value;
    else check.fail('email', checked.reason);
  }

  let productType: string | null = null;
  const productText = values.product_type ?? '';
  if (productText !== '') {
    const normal = productTypeNames[productText] ?? productText.toLowerCase().replace(/[\s-]+/g, '_');
    if ((productTypes as readonly string[]).includes(normal)) productType = normal;
    else check.fail('product_type', `"${productText}" is not a product type (${productTypes.join(', ')})`);
  }

  const address = check.text('address');
  const city = check.text('city', 100);
  const region = check.text('region', 100);
  const postalCode = check.text('postal_code', 20);
  const originalCreditor = check.text('original_creditor', 200);
  const notes = check.text('notes', 2000);

  if (errors.length > 0 || principal === null || delinquencyDate === null) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    row: {
      ref,
      debtorName,
      idNumber,
      dateOfBirth,
      phones,
      email,
      address,
      city,
      region,
      postalCode,
      country,
      productType,
      originalCreditor,
      currency,
      principal,
      interest: interest ?? 0n,
      fees: fees ?? 0n,
      penalty: penalty ?? 0n,
      delinquencyDate,
      chargeOffDate,
      lastPaymentDate,
      lastPaymentAmount,
      openDate,
      notes,
    },
  };
}

/** The country a client's jurisdiction implies (jurisdiction profiles are CN, US, UK). */
export function countryOfJurisdiction(jurisdiction: string): string {
  const code = jurisdiction.slice(0, 2).toUpperCase();
  if (code === 'UK') return 'GB';
  return checkCountry(code).ok ? code : 'CN';
}
