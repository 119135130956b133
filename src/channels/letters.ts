/**
 * Letters as a channel. A letter is a channel_messages row (channel `letter`, provider `print`)
 * whose contact point is the debtor's postal address: it passes the same claim and rule gate as an
 * e-mail (`claimAndGate`), and only when the gate allows it is the PDF rendered (src/documents),
 * stored in channel_letters (at most `letterStoreLimits.pdfBytes`) and queued, status `queued`. The
 * US validation notice is a letter of kind `validation_notice`; queuing it records the notice with
 * the holds module (`recordValidationNotice`), whose period the gate then reads. `closePrintBatch`
 * closes a client's queue into one PDF (renderPrintBatch) and marks its letters `printed`.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import { contractInForce } from '../clients/service.ts';
import { recordValidationNotice, validationNotice } from '../compliance/holds.ts';
import { debtorZone } from '../compliance/holds-model.ts';
import type { Database } from '../db/schema.ts';
import {
  type Agency,
  type LetterInput,
  type LetterLanguage,
  letterLimits,
  type PrintItem,
  renderLetter,
  renderPrintBatch,
  renderValidationNotice,
  type ValidationNoticeInput,
} from '../documents/letters.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { jurisdictionLanguage } from '../templates/model.ts';
import type { AgencySettings, ChannelConfig } from './config.ts';
import { type ClaimInput, claimAndGate, type MessageView, messageView } from './service.ts';
import type { ChannelTables } from './tables.ts';

type Db = Kysely<Database>;

function tables(db: Db) {
  return db.withTables<ChannelTables>();
}

export const letterStoreLimits = {
  /** One letter's stored PDF. */
  pdfBytes: 4 * 1024 * 1024,
  /** Letters one print batch takes from the queue (the oldest first). */
  batchLetters: 500,
  paragraphs: 20,
  paragraphChars: 2_000,
} as const;

export type LetterKind = 'letter' | 'validation_notice';

export interface QueueLetterInput extends Omit<ClaimInput, 'channel' | 'contactPointId'> {
  kind: LetterKind;
  /** zh-CN or en (a validation notice is always en); default from the contract's jurisdiction. */
  lang?: LetterLanguage;
  subject?: string;
  /** The letter's paragraphs; default a reminder of what is owed. */
  body?: string[];
  idempotencyKey?: string;
  /** The Huikuan template the letter was made from (a strategy's step), kept so a print batch can be
   *  closed by template (`letters batch create --template`). */
  templateCode?: string;
  /** The PDF's creation date (tests fix it); default now. */
  creationDate?: Date;
}

export interface LetterOutcome {
  message: MessageView;
  repeated: boolean;
  /** The validation notice's dates, when one was queued. */
  notice: { sentOn: string; assumedReceipt: string; periodEndsOn: string } | null;
}

function agencyOf(config: ChannelConfig): AgencySettings {
  if (!config.agency) {
    throw new HuikuanError(
      'invalid_state',
      'Letters are not configured on this server: set HUIKUAN_AGENCY_NAME and HUIKUAN_AGENCY_ADDRESS, the letterhead\'s name and return address (README "Channels"). Nothing was queued.',
      { reason: 'channel_not_configured', channel: 'letter' },
    );
  }
  return config.agency;
}

function letterhead(agency: AgencySettings): Agency {
  return {
    name: agency.name,
    address: agency.address,
    ...(agency.phone ? { phone: agency.phone } : {}),
    ...(agency.email ? { email: agency.email } : {}),
  };
}

/** The disclosures every letter of the profile prints (compliance.md: identify the agency; 1006.18(e)). */
const disclosures: Record<string, Record<LetterLanguage, string[]>> = {
  CN: {
    'zh-CN': ['本函由受托催收机构发出。请仅向指定账户还款，谨防诈骗；如有异议请通过本函所列方式联系我们。'],
    en: [
      'This letter is sent by a collection agency acting for the creditor. Pay only into the designated account; contact us at the details above to dispute the debt.',
    ],
  },
  US: {
    'zh-CN': ['本函来自债务催收机构。这是催收债务的尝试，所获任何信息都将用于该目的。'],
    en: [
      'This communication is from a debt collector. This is an attempt to collect a debt and any information obtained will be used for that purpose.',
    ],
  },
  UK: {
    'zh-CN': ['本函由债务催收机构发出。您可从 MoneyHelper (moneyhelper.org.uk) 获得免费的债务咨询。'],
    en: [
      'This letter is from a debt collection agency. Free, impartial debt advice is available from MoneyHelper (moneyhelper.org.uk).',
    ],
  },
};

const componentLabels: Record<LetterLanguage, Record<string, string>> = {
  'zh-CN': { principal: '本金', interest: '利息', fees: '费用', penalty: '罚息' },
  en: { principal: 'Principal', interest: 'Interest', fees: 'Fees', penalty: 'Penalty' },
};

interface LetterAccount {
  client_id: bigint;
  client_name: string;
  debtor_id: bigint;
  debtor_name: string;
  address: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  client_account_ref: string;
  currency: string;
  original_creditor: string | null;
  delinquency_date: string;
  charge_off_date: string | null;
  principal_minor: bigint;
  interest_minor: bigint;
  fees_minor: bigint;
  penalty_minor: bigint;
  placed_principal_minor: bigint;
  placed_interest_minor: bigint;
  placed_fees_minor: bigint;
  placed_penalty_minor: bigint;
}

async function letterAccount(db: Db, accountId: bigint): Promise<LetterAccount> {
  const row = await db
    .selectFrom('accounts')
    .innerJoin('debtors', 'debtors.id', 'accounts.debtor_id')
    .innerJoin('clients', 'clients.id', 'accounts.client_id')
    .select([
      'accounts.client_id',
      'clients.name as client_name',
      'accounts.debtor_id',
      'debtors.name as debtor_name',
      'debtors.address',
      'debtors.city',
      'debtors.region',
      'debtors.postal_code',
      'debtors.country',
      'accounts.client_account_ref',
      'accounts.currency',
      'accounts.original_creditor',
      'accounts.delinquency_date',
      'accounts.charge_off_date',
      'accounts.principal_minor',
      'accounts.interest_minor',
      'accounts.fees_minor',
      'accounts.penalty_minor',
      'accounts.placed_principal_minor',
      'accounts.placed_interest_minor',
      'accounts.placed_fees_minor',
      'accounts.placed_penalty_minor',
    ])
    .where('accounts.id', '=', accountId)
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `There is no account ${accountId}.`);
  return row;
}

/** The debtor's postal address as a letter prints it, or `invalid_state` when there is none. */
function postalAddress(account: LetterAccount, accountId: bigint): string[] {
  const street = (account.address ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (street.length === 0) {
    throw new HuikuanError(
      'invalid_state',
      `Account ${accountId}'s debtor has no postal address; record the address before sending a letter. Nothing was queued.`,
      { reason: 'no_postal_address' },
    );
  }
  const place = [account.city, account.region, account.postal_code].filter(
    (part): part is string => part !== null && part.trim() !== '',
  );
  const lines = [...street, ...(place.length > 0 ? [place.join(' ')] : [])];
  if (account.country && account.country !== 'CN') lines.push(account.country);
  return lines.slice(0, letterLimits.addressLines);
}

/** The recipient as the message row shows it: the name and the town, never the street. */
function maskedAddress(account: LetterAccount): string {
  const town = [account.city, account.postal_code].filter((part) => part !== null && part !== '');
  return `${account.debtor_name}${town.length > 0 ? `, ${town.join(' ')}` : ''} (postal)`;
}

const owedOf = (a: LetterAccount) => a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor;

function defaultBody(lang: LetterLanguage, account: LetterAccount): string[] {
  if (lang === 'zh-CN') {
    return [
      `尊敬的${account.debtor_name}：`,
      `您在${account.client_name}的账户（编号 ${account.client_account_ref}）尚有欠款未还，明细见上表。请尽快还款，或与我们联系商定还款安排。`,
    ];
  }
  return [
    `Dear ${account.debtor_name},`,
    `Your account with ${account.client_name} (reference ${account.client_account_ref}) has the balance shown above outstanding. Please pay it, or contact us to agree a repayment plan.`,
  ];
}

function checkBody(body: string[] | undefined): string[] | undefined {
  if (body === undefined) return undefined;
  if (body.length === 0 || body.length > letterStoreLimits.paragraphs) {
    throw new HuikuanError('bad_input', `A letter has 1–${letterStoreLimits.paragraphs} paragraphs.`);
  }
  for (const paragraph of body) {
    if (paragraph.trim() === '' || paragraph.length > letterStoreLimits.paragraphChars) {
      throw new HuikuanError(
        'bad_input',
        `Each paragraph has 1–${letterStoreLimits.paragraphChars} characters; shorten or remove the empty one.`,
      );
    }
  }
  return body;
}

/** The renderer's input of an ordinary letter (zh-CN or en). */
function letterInput(
  account: LetterAccount,
  agency: AgencySettings,
  jurisdiction: string,
  lang: LetterLanguage,
  date: string,
  input: QueueLetterInput,
): LetterInput {
  const labels = componentLabels[lang];
  const components = (['principal', 'interest', 'fees', 'penalty'] as const)
    .map((name) => ({ label: labels[name] ?? name, minor: account[`${name}_minor`] }))
    .filter((line) => line.minor !== 0n);
  return {
    lang,
    date,
    agency: letterhead(agency),
    debtor: { name: account.debtor_name, address: postalAddress(account, 0n) },
    reference: account.client_account_ref,
    creditor: account.original_creditor ?? account.client_name,
    currency: account.currency,
    totalMinor: owedOf(account),
    ...(components.length > 0 ? { components } : {}),
    subject: input.subject?.trim() || (lang === 'zh-CN' ? '还款提醒函' : 'Payment reminder'),
    body: checkBody(input.body) ?? defaultBody(lang, account),
    disclosures: disclosures[jurisdiction]?.[lang] ?? disclosures.CN?.[lang] ?? [],
  };
}

const nonNegative = (minor: bigint) => (minor > 0n ? minor : 0n);

/** The renderer's input of the US validation notice, itemised since charge-off (else delinquency). */
function noticeInput(account: LetterAccount, agency: AgencySettings, sentOn: string): ValidationNoticeInput {
  const placed =
    account.placed_principal_minor +
    account.placed_interest_minor +
    account.placed_fees_minor +
    account.placed_penalty_minor;
  const interest = nonNegative(account.interest_minor - account.placed_interest_minor);
  const fees = nonNegative(
    account.fees_minor + account.penalty_minor - account.placed_fees_minor - account.placed_penalty_minor,
  );
  const payments = nonNegative(placed + interest + fees - owedOf(account));
  return {
    sentOn,
    collector: letterhead(agency),
    consumer: { name: account.debtor_name, address: postalAddress(account, 0n) },
    reference: account.client_account_ref,
    creditor: account.client_name,
    itemization: {
      date: account.charge_off_date ?? account.delinquency_date,
      creditor: account.original_creditor ?? account.client_name,
      amountMinor: placed,
      interestMinor: interest,
      feesMinor: fees,
      paymentsMinor: payments,
      creditsMinor: 0n,
    },
  };
}

// the renderer's input is kept as JSON with amounts as text, and read back with them as bigint
function storeInput(input: LetterInput | ValidationNoticeInput): string {
  return JSON.stringify(input, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

function readInput(kind: LetterKind, stored: unknown): PrintItem {
  const revived = JSON.parse(JSON.stringify(stored), (key, value: unknown) =>
    typeof value === 'string' && (key === 'minor' || key.endsWith('Minor')) ? BigInt(value) : value,
  ) as LetterInput & ValidationNoticeInput;
  return { kind, ...revived } as PrintItem;
}

/**
 * Queues a letter to the account's debtor's postal address: the rule gate first (channel `letter`;
 * a denied letter is recorded `blocked` and no PDF is made), then the PDF, stored and queued for the
 * next print batch. A validation notice (US accounts only, once per account) is recorded with the
 * holds module as sent on the letter's date, with the dates printed on it. The same idempotency key
 * queues at most once.
 */
export async function queueLetter(
  db: Db,
  input: QueueLetterInput,
  config: ChannelConfig,
): Promise<LetterOutcome> {
  const agency = agencyOf(config);
  const at = input.at ?? new Date();
  const account = await letterAccount(db, input.accountId);
  const address = postalAddress(account, input.accountId);
  const jurisdiction = (await contractInForce(db, account.client_id, todayIn('Asia/Shanghai', at)))
    .jurisdiction;
  const date = todayIn(debtorZone(account.country), at);
  let rendered: { input: LetterInput | ValidationNoticeInput; subject: string; text: string };
  if (input.kind === 'validation_notice') {
    if (jurisdiction !== 'US') {
      throw new HuikuanError(
        'invalid_state',
        `Account ${input.accountId}'s contract is under the ${jurisdiction} profile; the validation notice is a US (Regulation F) notice.`,
      );
    }
    // refused before the gate, so that no contact is logged for a notice that cannot go (a retry of
    // the same key still gets its earlier message back)
    const retry =
      input.idempotencyKey !== undefined &&
      (await tables(db)
        .selectFrom('channel_messages')
        .select('id')
        .where('idempotency_key', '=', input.idempotencyKey)
        .executeTakeFirst()) !== undefined;
    if (!retry && (await validationNotice(db, input.accountId))) throw noticeSent(input.accountId);
    const notice = noticeInput(account, agency, date);
    rendered = {
      input: notice,
      subject: 'Validation notice (12 CFR 1006.34)',
      text: `Validation notice to ${account.debtor_name}, sent ${date}.`,
    };
  } else {
    const lang = input.lang ?? jurisdictionLanguage(jurisdiction);
    const letter = letterInput(account, agency, jurisdiction, lang, date, input);
    rendered = { input: letter, subject: letter.subject, text: letter.body.join('\n\n') };
  }
  const key = input.idempotencyKey ?? randomUUID();
  const gated = await claimAndGate(
    db,
    { ...input, channel: 'letter', contactPointId: null, at },
    key,
    { clientId: account.client_id, debtorId: account.debtor_id, masked: maskedAddress(account) },
    'print',
    {
      subject: rendered.subject,
      text: rendered.text.slice(0, 20_000),
      html: null,
      template: input.templateCode ? { code: input.templateCode, params: {} } : null,
    },
    config,
  );
  if (gated.outcome !== 'allowed') {
    return { message: gated.message, repeated: gated.outcome === 'repeated', notice: null };
  }
  const existing = await tables(db)
    .selectFrom('channel_letters')
    .select('message_id')
    .where('message_id', '=', gated.id)
    .executeTakeFirst();
  if (existing) return { message: await messageView(db, gated.id), repeated: true, notice: null };
  if (input.kind === 'validation_notice' && (await validationNotice(db, input.accountId))) {
    await failLetter(db, gated.id, 'The validation notice was already recorded for this account.');
    throw noticeSent(input.accountId);
  }
  const options = input.creationDate ? { creationDate: input.creationDate } : {};
  let period: { sentOn: string; endsOn: string } | null = null;
  let pdf: { pdf: Buffer; pages: number };
  if (input.kind === 'validation_notice') {
    const notice = await renderValidationNotice(rendered.input as ValidationNoticeInput, options);
    period = notice.period;
    pdf = notice;
  } else pdf = await renderLetter(rendered.input as LetterInput, options);
  if (pdf.pdf.length > letterStoreLimits.pdfBytes) {
    await failLetter(
      db,
      gated.id,
      `The PDF has ${pdf.pdf.length} bytes; at most ${letterStoreLimits.pdfBytes}.`,
    );
    throw new HuikuanError(
      'limit_exceeded',
      `The letter's PDF has ${pdf.pdf.length} bytes; at most ${letterStoreLimits.pdfBytes} are kept. Shorten the letter.`,
    );
  }
  await db.transaction().execute(async (trx) => {
    await tables(trx)
      .insertInto('channel_letters')
      .values({
        message_id: gated.id,
        client_id: account.client_id,
        account_id: input.accountId,
        kind: input.kind,
        input: storeInput(rendered.input),
        pdf: pdf.pdf,
        pages: pdf.pages,
        sent_on: period ? period.sentOn : null,
        period_ends_on: period ? period.endsOn : null,
      })
      .execute();
    await tables(trx)
      .updateTable('channel_messages')
      .set({ status: 'queued', status_at: new Date(), sent_at: at })
      .where('id', '=', gated.id)
      .execute();
  });
  let notice: LetterOutcome['notice'] = null;
  if (input.kind === 'validation_notice' && period) {
    const recorded = await recordValidationNotice(db, input.accountId, period.sentOn, {
      actor: input.actor,
      actorUserId: input.actorUserId ?? null,
      ip: input.ip ?? null,
    });
    notice = {
      sentOn: recorded.sentOn,
      assumedReceipt: recorded.assumedReceipt,
      periodEndsOn: recorded.periodEndsOn,
    };
  }
  const message = await messageView(db, gated.id);
  await recordAudit(db, {
    actor: input.actor,
    actorUserId: input.actorUserId ?? null,
    ip: input.ip ?? null,
    action: 'channel_message.queued',
    entityType: 'channel_message',
    entityId: gated.id,
    clientId: account.client_id,
    after: {
      account_id: input.accountId,
      channel: 'letter',
      kind: input.kind,
      pages: pdf.pages,
      lines: address.length,
    },
  });
  return { message, repeated: false, notice };
}

function noticeSent(accountId: bigint): HuikuanError {
  return new HuikuanError(
    'invalid_state',
    `Account ${accountId}'s validation notice was already sent; its period stands. Nothing was queued.`,
  );
}

async function failLetter(db: Db, id: bigint, error: string): Promise<void> {
  await tables(db)
    .updateTable('channel_messages')
    .set({ status: 'failed', status_at: new Date(), error })
    .where('id', '=', id)
    .execute();
}

// ---------------------------------------------------------------- print batches

export interface PrintBatchView {
  id: bigint;
  client_id: bigint;
  letters: number;
  pages: number;
  bytes: number;
  closed_by: string;
  closed_at: Date;
}

/** How many letters of the client wait for a print batch. */
export async function queuedLetters(db: Db, clientId: bigint): Promise<number> {
  const row = await tables(db)
    .selectFrom('channel_letters')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('client_id', '=', clientId)
    .where('batch_id', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Closes the client's queue (the oldest `letterStoreLimits.batchLetters` letters) into one print
 * batch: one PDF with a cover sheet and every letter, stored; the letters are marked `printed`.
 * `invalid_state` (reason queue_empty) when nothing is queued. Under the queue's lock: two closes at
 * once do not print a letter twice.
 */
export async function closePrintBatch(
  db: Db,
  clientId: bigint,
  by: { actor: string; actorUserId?: bigint | null; ip?: string | null },
  options: {
    creationDate?: Date;
    /** Only letters of this kind, or whose message was made from this template (the CLI's filters). */
    kind?: LetterKind;
    templateCode?: string;
  } = {},
): Promise<PrintBatchView> {
  return db.transaction().execute(async (trx) => {
    let selection = tables(trx)
      .selectFrom('channel_letters')
      .select(['message_id', 'kind', 'input'])
      .where('client_id', '=', clientId)
      .where('batch_id', 'is', null);
    if (options.kind !== undefined) selection = selection.where('kind', '=', options.kind);
    const templateCode = options.templateCode;
    if (templateCode !== undefined) {
      selection = selection.where('message_id', 'in', (eb) =>
        eb.selectFrom('channel_messages').select('id').where('template_code', '=', templateCode),
      );
    }
    const queued = await selection
      .orderBy('message_id')
      .limit(letterStoreLimits.batchLetters)
      .forUpdate()
      .skipLocked()
      .execute();
    if (queued.length === 0) {
      throw new HuikuanError('invalid_state', 'No letters are queued for this client; nothing to print.', {
        reason: 'queue_empty',
      });
    }
    const now = options.creationDate ?? new Date();
    const items = queued.map((row) => readInput(row.kind, row.input));
    const printed = await renderPrintBatch(items, {
      creationDate: now,
      title: `Print batch 打印批次 · ${todayIn('Asia/Shanghai', now)}`,
    });
    const batch = await tables(trx)
      .insertInto('channel_print_batches')
      .values({
        client_id: clientId,
        letters: queued.length,
        pages: printed.pages,
        pdf: printed.pdf,
        closed_by: by.actor,
        closed_at: now,
      })
      .returning(['id', 'client_id', 'letters', 'pages', 'closed_by', 'closed_at'])
      .executeTakeFirstOrThrow();
    const ids = queued.map((row) => row.message_id);
    await tables(trx)
      .updateTable('channel_letters')
      .set({ batch_id: batch.id })
      .where('message_id', 'in', ids)
      .execute();
    await tables(trx)
      .updateTable('channel_messages')
      .set({ status: 'printed', status_at: now })
      .where('id', 'in', ids)
      .execute();
    await recordAudit(trx, {
      actor: by.actor,
      actorUserId: by.actorUserId ?? null,
      ip: by.ip ?? null,
      action: 'channel_print_batch.closed',
      entityType: 'channel_print_batch',
      entityId: batch.id,
      clientId,
      after: { letters: queued.length, pages: printed.pages, message_ids: ids.map(String) },
    });
    return { ...batch, bytes: printed.pdf.length };
  });
}

export async function listPrintBatches(
  db: Db,
  clientId: bigint | null,
  page: { offset: number; limit: number },
): Promise<{ items: PrintBatchView[]; total: number }> {
  let query = tables(db).selectFrom('channel_print_batches');
  if (clientId !== null) query = query.where('client_id', '=', clientId);
  const [items, count] = await Promise.all([
    query
      .select(['id', 'client_id', 'letters', 'pages', 'closed_by', 'closed_at'])
      .select((eb) => eb.fn<number>('octet_length', ['pdf']).as('bytes'))
      .orderBy('id', 'desc')
      .offset(page.offset)
      .limit(page.limit)
      .execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(count.n) };
}

export async function printBatchPdf(db: Db, batchId: bigint): Promise<{ clientId: bigint; pdf: Buffer }> {
  const row = await tables(db)
    .selectFrom('channel_print_batches')
    .select(['client_id', 'pdf'])
    .where('id', '=', batchId)
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `There is no print batch ${batchId}.`);
  return { clientId: row.client_id, pdf: row.pdf };
}

/** A queued or printed letter's own PDF. */
export async function letterPdf(db: Db, messageId: bigint): Promise<{ clientId: bigint; pdf: Buffer }> {
  const row = await tables(db)
    .selectFrom('channel_letters')
    .select(['client_id', 'pdf'])
    .where('message_id', '=', messageId)
    .executeTakeFirst();
  if (!row) throw new HuikuanError('not_found', `Message ${messageId} is not a letter with a PDF.`);
  return { clientId: row.client_id, pdf: row.pdf };
}
