/**
 * Collection letters as PDF: a letter from a structured input (letterhead, debtor and address,
 * account reference, amounts, body paragraphs in zh-CN or en, the disclosures the caller must print,
 * a date); the US validation notice of Regulation F (12 CFR 1006.34) with its itemisation and the
 * validation period's end date computed on the US business-day calendar; and a print batch of many
 * letters, each on new pages, behind a cover sheet. Pure rendering: which letter is sent, and
 * whether it may be, is the channels module's and the rule gate's business.
 */
import { usValidationPeriod, type ValidationPeriod } from '../compliance/calendar.ts';
import { type BusinessDate, parseBusinessDate } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { formatMinor, minorDigits } from '../shared/money.ts';
import { type PageInfo, PdfWriter } from './pdf.ts';

export type LetterLanguage = 'zh-CN' | 'en';

export interface Agency {
  name: string;
  /** Postal address, one line each. */
  address: string[];
  phone?: string;
  email?: string;
  website?: string;
  /** Licence or registration number, printed under the letterhead. */
  licence?: string;
}

export interface Addressee {
  name: string;
  /** Postal address, one line each (postcode included where it belongs). */
  address: string[];
}

export interface AmountLine {
  label: string;
  minor: bigint;
}

export interface LetterInput {
  lang: LetterLanguage;
  /** The letter's date. */
  date: BusinessDate;
  agency: Agency;
  debtor: Addressee;
  /** The account reference the debtor quotes when paying or writing. */
  reference: string;
  /** The creditor the debt is owed to. */
  creditor?: string;
  currency: string;
  /** The amount owed. */
  totalMinor: bigint;
  /** Its parts (principal, interest, fees …); when given they must add up to `totalMinor`. */
  components?: AmountLine[];
  subject: string;
  /** The letter's text, one paragraph each (salutation included). */
  body: string[];
  /** Required disclosures of the profile and client: printed in full on every letter, never left out. */
  disclosures: string[];
  /** e.g. 此致 / Yours sincerely (default by language). */
  closing?: string;
  /** Who signs (default: the agency). */
  signatory?: string;
}

export interface ValidationNoticeInput {
  /** The day the notice is sent (mailed or delivered electronically). */
  sentOn: BusinessDate;
  /** The debt collector. */
  collector: Agency & {
    /** When the collector takes calls, e.g. "Monday to Friday, 9 a.m. to 5 p.m. Eastern". */
    hours?: string;
  };
  consumer: Addressee;
  reference: string;
  /** The creditor to whom the debt is owed now. */
  creditor: string;
  /** Regulation F 1006.34(b)(3): the itemisation date and the figures since it (US dollars, cents). */
  itemization: {
    date: BusinessDate;
    /** The creditor as of the itemisation date. */
    creditor: string;
    /** What the consumer owed on the itemisation date. */
    amountMinor: bigint;
    interestMinor: bigint;
    feesMinor: bigint;
    paymentsMinor: bigint;
    creditsMinor: bigint;
  };
  /** Further disclosures (state law, the client's contract): printed in full. */
  disclosures?: string[];
}

export interface RenderOptions {
  /** The PDF's creation date (fix it for byte-identical output; default now). */
  creationDate?: Date;
}

export interface RenderedDocument {
  pdf: Buffer;
  pages: number;
}

export const letterLimits = {
  paragraphs: 60,
  disclosures: 30,
  addressLines: 8,
  components: 20,
  batchLetters: 2_000,
  field: 500,
} as const;

// ------------------------------------------------------------------ checks and formats

function fail(message: string): never {
  throw new HuikuanError('bad_input', message);
}

function requireText(value: string | undefined, field: string, max: number = letterLimits.field): string {
  if (typeof value !== 'string' || value.trim() === '') fail(`${field} is empty; every letter needs it.`);
  if (value.length > max) fail(`${field} has ${value.length} characters; at most ${max} fit on a letter.`);
  return value.trim();
}

function requireLines(lines: string[], field: string, max: number, min = 1): string[] {
  if (!Array.isArray(lines) || lines.length < min)
    fail(`${field} needs at least ${min} line${min > 1 ? 's' : ''}.`);
  if (lines.length > max) fail(`${field} has ${lines.length} lines; at most ${max} are printed.`);
  return lines.map((line, i) => requireText(line, `${field} line ${i + 1}`, 5_000));
}

function requireDate(text: string, field: string): BusinessDate {
  const parsed = parseBusinessDate(typeof text === 'string' ? text : '');
  if (!parsed.ok) fail(`${field}: ${parsed.reason}.`);
  return parsed.date;
}

function requireAmount(minor: bigint, field: string): bigint {
  if (typeof minor !== 'bigint') fail(`${field} must be an amount in minor units (a bigint).`);
  if (minor < 0n) fail(`${field} is negative (${minor}); amounts on a letter are ≥ 0.`);
  return minor;
}

const monthsEn = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function dateParts(date: BusinessDate): [number, number, number] {
  return [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))];
}

/** 2025年3月14日 / 14 March 2025 / (US) March 14, 2025. */
export function formatLetterDate(date: BusinessDate, style: LetterLanguage | 'en-US'): string {
  const [y, m, d] = dateParts(date);
  if (style === 'zh-CN') return `${y}年${m}月${d}日`;
  const month = monthsEn[m - 1] ?? '';
  return style === 'en-US' ? `${month} ${d}, ${y}` : `${d} ${month} ${y}`;
}

const words = {
  'zh-CN': {
    reference: '账户编号',
    creditor: '债权人',
    date: '日期',
    item: '项目',
    amount: '金额',
    total: '欠款合计',
    disclosures: '重要提示',
    closing: '此致',
    footer: (ref: string, p: number, n: number) => `${ref} · 第 ${p} 页，共 ${n} 页`,
  },
  en: {
    reference: 'Account reference',
    creditor: 'Creditor',
    date: 'Date',
    item: 'Item',
    amount: 'Amount',
    total: 'Total amount owed',
    disclosures: 'Important information',
    closing: 'Yours sincerely',
    footer: (ref: string, p: number, n: number) => `Ref. ${ref} · page ${p} of ${n}`,
  },
} as const;

function checkLetter(input: LetterInput): void {
  if (input.lang !== 'zh-CN' && input.lang !== 'en')
    fail(`lang must be zh-CN or en, not "${String(input.lang)}".`);
  requireDate(input.date, 'date');
  requireText(input.agency?.name, 'agency name');
  requireLines(input.agency?.address ?? [], 'agency address', letterLimits.addressLines);
  requireText(input.debtor?.name, 'debtor name');
  requireLines(input.debtor?.address ?? [], 'debtor address', letterLimits.addressLines);
  requireText(input.reference, 'account reference', 64);
  requireText(input.subject, 'subject');
  minorDigits(input.currency);
  requireAmount(input.totalMinor, 'total amount');
  requireLines(input.body, 'body', letterLimits.paragraphs);
  requireLines(input.disclosures, 'disclosures', letterLimits.disclosures);
  if (input.components !== undefined) {
    if (input.components.length > letterLimits.components) {
      fail(
        `The letter lists ${input.components.length} amounts; at most ${letterLimits.components} are printed.`,
      );
    }
    let sum = 0n;
    input.components.forEach((c, i) => {
      requireText(c.label, `amount ${i + 1}'s label`, 100);
      sum += requireAmount(c.minor, `amount "${c.label}"`);
    });
    if (sum !== input.totalMinor) {
      fail(
        `The amounts listed add up to ${formatMinor(sum, input.currency, { symbol: true })}, not the total ${formatMinor(input.totalMinor, input.currency, { symbol: true })}. Correct the parts or the total.`,
      );
    }
  }
}

// ------------------------------------------------------------------ drawing

const muted = '#555555';

function letterhead(pdf: PdfWriter, agency: Agency, lang: LetterLanguage): void {
  pdf.paragraph(agency.name, { size: 15, weight: 'bold', after: 2 });
  // Chinese addresses run on without commas: 北京市朝阳区建国路88号 SOHO现代城A座1201室
  const contact = [
    agency.address.join(lang === 'zh-CN' ? ' ' : ', '),
    agency.phone,
    agency.email,
    agency.website,
  ].filter((s): s is string => s !== undefined && s.trim() !== '');
  pdf.paragraph(contact.join(' · '), { size: 8.5, color: muted, after: agency.licence ? 1 : 4 });
  if (agency.licence) pdf.paragraph(agency.licence, { size: 8.5, color: muted, after: 4 });
  pdf.rule('#888888');
  pdf.space(10);
}

/** The addressee block at the left and the date at the right, on the same first line. */
function addressBlock(pdf: PdfWriter, to: Addressee, date: string): void {
  const top = pdf.y;
  pdf.doc.font('regular').fontSize(10).fillColor('#222222');
  const dateWidth = pdf.doc.widthOfString(pdf.clean(date));
  pdf.doc.text(pdf.clean(date), pdf.left + pdf.width - dateWidth, top, { lineBreak: false });
  pdf.y = top;
  pdf.paragraph(to.name, { size: 11, weight: 'bold', after: 2 });
  for (const line of to.address) pdf.paragraph(line, { size: 10, after: 0 });
  pdf.space(16);
}

function disclosureBlock(pdf: PdfWriter, title: string, disclosures: string[]): void {
  pdf.space(6);
  pdf.ensureSpace(60);
  pdf.rule('#888888');
  pdf.paragraph(title, { size: 10, weight: 'bold', after: 3 });
  for (const text of disclosures) pdf.paragraph(text, { size: 8.5, after: 4 });
  pdf.rule('#888888');
}

function amountRows(currency: string, lines: AmountLine[], total: AmountLine): string[][] {
  return [...lines, total].map((l) => [l.label, formatMinor(l.minor, currency, { symbol: true })]);
}

/** Draws one letter from the current page on (the caller has started a page or a section). */
function drawLetter(pdf: PdfWriter, input: LetterInput): void {
  const w = words[input.lang];
  letterhead(pdf, input.agency, input.lang);
  addressBlock(pdf, input.debtor, formatLetterDate(input.date, input.lang));
  pdf.paragraph(input.subject, { size: 13, weight: 'bold', after: 8 });
  const facts: string[][] = [[w.reference, input.reference]];
  if (input.creditor) facts.push([w.creditor, input.creditor]);
  pdf.table(
    [
      { header: '', width: 1 },
      { header: '', width: 3 },
    ],
    facts,
    {
      header: false,
      fontSize: 9.5,
      bold: (_, c) => c === 0,
    },
  );
  const components = input.components ?? [];
  pdf.table(
    [
      { header: w.item, width: 3 },
      { header: w.amount, width: 1.2, align: 'right' },
    ],
    amountRows(input.currency, components, { label: w.total, minor: input.totalMinor }),
    { fontSize: 9.5, bold: (r) => r === components.length },
  );
  pdf.space(4);
  for (const paragraph of input.body) pdf.paragraph(paragraph, { size: 10.5, after: 7 });
  pdf.space(6);
  pdf.ensureSpace(60);
  pdf.paragraph(input.closing ?? w.closing, { size: 10.5, after: 14 });
  pdf.paragraph(input.signatory ?? input.agency.name, { size: 10.5, weight: 'bold', after: 2 });
  pdf.paragraph(formatLetterDate(input.date, input.lang), { size: 10, after: 8 });
  disclosureBlock(pdf, w.disclosures, input.disclosures);
}

/** A collection letter as a PDF. */
export async function renderLetter(
  input: LetterInput,
  options: RenderOptions = {},
): Promise<RenderedDocument> {
  checkLetter(input);
  const w = words[input.lang];
  const pdf = new PdfWriter({
    title: `${input.subject} — ${input.reference}`,
    author: input.agency.name,
    subject: input.subject,
    lang: input.lang,
    ...(options.creationDate ? { creationDate: options.creationDate } : {}),
    footer: (p) => w.footer(input.reference, p.page, p.pages),
  });
  drawLetter(pdf, input);
  return { pdf: await pdf.toBuffer(), pages: pdf.pages };
}

// ------------------------------------------------------------------ the US validation notice

export interface ValidationNoticeFigures {
  period: ValidationPeriod;
  /** What is owed now: the itemisation date's amount + interest + fees − payments − credits. */
  currentMinor: bigint;
}

function checkNotice(input: ValidationNoticeInput): ValidationNoticeFigures {
  const sentOn = requireDate(input.sentOn, 'sentOn');
  const it = input.itemization;
  if (it === undefined)
    fail('itemization is missing: the notice itemises the debt since a date (1006.34(b)(3)).');
  const itemizedOn = requireDate(it.date, 'itemization date');
  if (itemizedOn > sentOn)
    fail(`The itemization date ${itemizedOn} is after the notice is sent (${sentOn}).`);
  requireText(input.collector?.name, 'debt collector name');
  requireLines(input.collector?.address ?? [], 'debt collector address', letterLimits.addressLines);
  requireText(input.consumer?.name, 'consumer name');
  requireLines(input.consumer?.address ?? [], 'consumer address', letterLimits.addressLines);
  requireText(input.reference, 'account reference', 64);
  requireText(input.creditor, 'current creditor');
  requireText(it.creditor, 'creditor as of the itemization date');
  if (input.disclosures !== undefined)
    requireLines(input.disclosures, 'disclosures', letterLimits.disclosures, 0);
  const owed = requireAmount(it.amountMinor, 'amount as of the itemization date');
  const current =
    owed +
    requireAmount(it.interestMinor, 'interest') +
    requireAmount(it.feesMinor, 'fees') -
    requireAmount(it.paymentsMinor, 'payments') -
    requireAmount(it.creditsMinor, 'credits');
  if (current < 0n) {
    fail(
      `Payments and credits exceed what was owed: the debt now would be ${formatMinor(current, 'USD', { symbol: true })}.`,
    );
  }
  return { period: usValidationPeriod(sentOn), currentMinor: current };
}

/**
 * The validation period (sent + 5 US business days assumed receipt, + 30 days) and the current
 * amount of a notice, without drawing it — what the channels module stores with the notice.
 */
export function validationNoticeFigures(input: ValidationNoticeInput): ValidationNoticeFigures {
  return checkNotice(input);
}

const usd = (minor: bigint) => formatMinor(minor, 'USD', { symbol: true });

function checkbox(pdf: PdfWriter, label: string, indent = 0): void {
  pdf.ensureSpace(16);
  const y = pdf.y + 2;
  pdf.doc
    .save()
    .rect(pdf.left + indent, y, 8, 8)
    .lineWidth(0.7)
    .strokeColor('#222222')
    .stroke()
    .restore();
  pdf.paragraph(label, { size: 9.5, indent: indent + 14, after: 3 });
}

function drawValidationNotice(
  pdf: PdfWriter,
  input: ValidationNoticeInput,
  figures: ValidationNoticeFigures,
): void {
  const c = input.collector;
  const it = input.itemization;
  const end = formatLetterDate(figures.period.endsOn, 'en-US');
  letterhead(pdf, c, 'en');
  addressBlock(pdf, input.consumer, formatLetterDate(input.sentOn, 'en-US'));
  pdf.paragraph(`Reference: ${input.reference}`, { size: 10, weight: 'bold', after: 8 });
  pdf.paragraph(
    `${c.name} is a debt collector. We are trying to collect a debt that you owe to ${input.creditor}. We will use any information you give us to help collect the debt.`,
    { size: 10.5, weight: 'bold', after: 10 },
  );
  pdf.heading('Our information shows:', 3);
  pdf.paragraph(`You had an account from ${it.creditor} with account number ${input.reference}.`, {
    size: 10,
    after: 6,
  });
  pdf.table(
    [
      { header: '', width: 3 },
      { header: '', width: 1, align: 'right' },
    ],
    [
      [`As of ${formatLetterDate(it.date, 'en-US')}, you owed:`, usd(it.amountMinor)],
      [`Between ${formatLetterDate(it.date, 'en-US')} and today:`, ''],
      ['    You were charged this amount in interest:', `+ ${usd(it.interestMinor)}`],
      ['    You were charged this amount in fees:', `+ ${usd(it.feesMinor)}`],
      ['    You paid this amount toward the debt:', `– ${usd(it.paymentsMinor)}`],
      ['    You were credited this amount toward the debt:', `– ${usd(it.creditsMinor)}`],
      ['Total amount of the debt now:', usd(figures.currentMinor)],
    ],
    { header: false, fontSize: 10, bold: (r) => r === 6 },
  );
  pdf.heading('How can you dispute the debt?', 3);
  pdf.paragraph(
    `Call or write to us by ${end}, to dispute all or part of the debt. If you do not, we will assume that our information is correct.`,
    { size: 10, weight: 'bold', after: 5 },
  );
  pdf.paragraph(
    `If you write to us by ${end}, we must stop collection on any amount you dispute until we send you information that shows you owe the debt. You may use the form below or write to us without the form. You may also include supporting documents.${c.email ? ` We accept disputes electronically at ${c.email}.` : ''}`,
    { size: 10, after: 8 },
  );
  pdf.heading('What else can you do?', 3);
  pdf.paragraph(
    `Write to ask for the name and address of the original creditor, if different from the current creditor. If you write by ${end}, we must stop collection until we send you that information. You may use the form below or write to us without the form.`,
    { size: 10, after: 5 },
  );
  pdf.paragraph('Go to www.cfpb.gov/debt-collection to learn more about your rights under federal law.', {
    size: 10,
    after: 5,
  });
  pdf.paragraph(
    `Contact us about your payment options${c.phone ? ` at ${c.phone}` : ''}${c.hours ? `, ${c.hours}` : ''}.`,
    { size: 10, after: 5 },
  );
  pdf.paragraph('Póngase en contacto con nosotros para solicitar una copia de este formulario en español.', {
    size: 10,
    after: 8,
  });
  pdf.paragraph(
    `Assumed receipt of this notice: ${formatLetterDate(figures.period.assumedReceipt, 'en-US')} (five days after it was sent on ${formatLetterDate(figures.period.sentOn, 'en-US')}, not counting weekends and federal holidays). The validation period ends on ${end}.`,
    { size: 8.5, color: muted, after: 6 },
  );
  if (input.disclosures && input.disclosures.length > 0) {
    disclosureBlock(pdf, 'Important information', input.disclosures);
  }
  responseForm(pdf, input, end);
}

/** The tear-off form at the foot of the notice: how the consumer may respond. */
function responseForm(pdf: PdfWriter, input: ValidationNoticeInput, end: string): void {
  pdf.ensureSpace(250);
  pdf.space(14);
  const y = pdf.y;
  pdf.doc
    .save()
    .moveTo(pdf.left, y)
    .lineTo(pdf.left + pdf.width, y)
    .dash(4, { space: 3 })
    .lineWidth(0.7)
    .strokeColor('#444444')
    .stroke()
    .undash()
    .restore();
  pdf.y = y + 6;
  pdf.paragraph(`Mail this form to: ${input.collector.name}, ${input.collector.address.join(', ')}`, {
    size: 9,
    after: 2,
  });
  pdf.paragraph(
    `${input.consumer.name} · ${input.consumer.address.join(', ')} · Reference ${input.reference}`,
    {
      size: 9,
      after: 6,
    },
  );
  pdf.paragraph(`How do you want to respond? (by ${end})`, { size: 11, weight: 'bold', after: 5 });
  pdf.paragraph('Check all that apply:', { size: 9.5, after: 4 });
  pdf.paragraph('I want to dispute the debt because I think:', { size: 9.5, weight: 'bold', after: 3 });
  checkbox(pdf, 'This is not my debt.', 10);
  checkbox(pdf, 'The amount is wrong.', 10);
  checkbox(pdf, 'Other (please describe on reverse or attach additional information).', 10);
  checkbox(pdf, 'I want you to send me the name and address of the original creditor.');
  checkbox(pdf, 'I enclosed this amount: $ ______________');
  pdf.paragraph(
    `Make your check payable to ${input.collector.name}. Include the reference number ${input.reference}.`,
    { size: 9, color: muted, after: 2 },
  );
}

/** The US validation notice (Regulation F 1006.34) as a PDF, with the figures printed on it. */
export async function renderValidationNotice(
  input: ValidationNoticeInput,
  options: RenderOptions = {},
): Promise<RenderedDocument & ValidationNoticeFigures> {
  const figures = checkNotice(input);
  const pdf = new PdfWriter({
    title: `Validation notice — ${input.reference}`,
    author: input.collector.name,
    subject: 'Debt validation notice (12 CFR 1006.34)',
    lang: 'en-US',
    ...(options.creationDate ? { creationDate: options.creationDate } : {}),
    footer: (p) => words.en.footer(input.reference, p.page, p.pages),
  });
  drawValidationNotice(pdf, input, figures);
  return { pdf: await pdf.toBuffer(), pages: pdf.pages, ...figures };
}

// ------------------------------------------------------------------ print batch

export type PrintItem =
  | ({ kind: 'letter' } & LetterInput)
  | ({ kind: 'validation_notice' } & ValidationNoticeInput);

export interface PrintBatchOptions extends RenderOptions {
  /** Shown on the cover, e.g. the batch's number. */
  title?: string;
  /** Double-sided printing: each letter starts on the front of a sheet (a blank page put in before it when needed). */
  duplex?: boolean;
}

export interface PrintBatch extends RenderedDocument {
  /** Each letter's reference, kind, first page (1-based, in the whole PDF) and page count. */
  letters: Array<{ reference: string; kind: PrintItem['kind']; firstPage: number; pages: number }>;
}

const kindNames: Record<PrintItem['kind'], string> = {
  letter: '催收函 letter',
  validation_notice: 'validation notice',
};

/**
 * Many letters in one PDF for the print room: a cover sheet with the count and every letter's
 * reference, kind and pages, then each letter from a new page, numbered within itself.
 */
export async function renderPrintBatch(
  items: PrintItem[],
  options: PrintBatchOptions = {},
): Promise<PrintBatch> {
  if (!Array.isArray(items) || items.length === 0) fail('A print batch needs at least one letter.');
  if (items.length > letterLimits.batchLetters) {
    throw new HuikuanError(
      'limit_exceeded',
      `A print batch holds at most ${letterLimits.batchLetters} letters, not ${items.length}. Split it.`,
    );
  }
  // check every letter before drawing any, so a bad one is reported with its place in the batch
  const figures = items.map((item, i) => {
    try {
      if (item.kind === 'letter') {
        checkLetter(item);
        return null;
      }
      if (item.kind === 'validation_notice') return checkNotice(item);
      return fail(
        `kind must be letter or validation_notice, not "${String((item as { kind: unknown }).kind)}".`,
      );
    } catch (error) {
      if (error instanceof HuikuanError) {
        throw new HuikuanError(
          error.code,
          `Letter ${i + 1} of the batch (${String(item.reference)}): ${error.message}`,
        );
      }
      throw error;
    }
  });
  const created = options.creationDate ?? new Date();
  const title = options.title ?? 'Print batch 打印批次';
  const pdf = new PdfWriter({
    title,
    subject: `${items.length} letters`,
    creationDate: created,
    footer: (p: PageInfo) => {
      if (p.section === null) return `${title} · ${p.page} / ${p.pages}`;
      const item = items[Number(p.section.name)];
      if (item === undefined) return '';
      const w = item.kind === 'letter' ? words[item.lang] : words.en;
      return w.footer(item.reference, p.section.page, p.section.pages);
    },
  });
  pdf.heading(title, 1);
  pdf.paragraph(
    `${items.length} letters · created ${created.toISOString().slice(0, 16).replace('T', ' ')} UTC · 共 ${items.length} 封`,
    { size: 10, after: 10 },
  );
  const cover = pdf.table(
    [
      { header: '#', width: 0.5, align: 'right' },
      { header: 'Reference 账户编号', width: 3 },
      { header: 'Kind 类型', width: 2 },
      { header: 'First page 起始页', width: 1.2, align: 'right' },
      { header: 'Pages 页数', width: 1, align: 'right' },
    ],
    items.map((item, i) => [String(i + 1), item.reference, kindNames[item.kind], '', '']),
    { fontSize: 8.5 },
  );
  items.forEach((item, i) => {
    pdf.startSection(String(i), { oddPage: options.duplex === true });
    const f = figures[i];
    if (item.kind === 'letter') drawLetter(pdf, item);
    else if (f) drawValidationNotice(pdf, item, f);
  });
  const spans = pdf.sectionPages();
  const letters = items.map((item, i) => {
    const span = spans[i] ?? { first: 0, pages: 0 };
    pdf.writeInto(cover, i, 3, String(span.first));
    pdf.writeInto(cover, i, 4, String(span.pages));
    return { reference: item.reference, kind: item.kind, firstPage: span.first, pages: span.pages };
  });
  return { pdf: await pdf.toBuffer(), pages: pdf.pages, letters };
}
