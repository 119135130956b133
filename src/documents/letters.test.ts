import { describe, expect, it } from 'vitest';
import {
  formatLetterDate,
  type LetterInput,
  type PrintItem,
  renderLetter,
  renderPrintBatch,
  renderValidationNotice,
  type ValidationNoticeInput,
  validationNoticeFigures,
} from './letters.ts';
import { missingFrom, readPdf, shownGlyphCodes, squeeze } from './test-support.ts';

const creationDate = new Date('2025-03-14T00:00:00Z');

const zhLetter: LetterInput = {
  lang: 'zh-CN',
  date: '2025-03-14',
  agency: {
    name: '华信资产管理有限公司',
    address: ['北京市朝阳区建国路88号', 'SOHO现代城A座1201室'],
    phone: '400-800-1234',
    licence: '统一社会信用代码 91110105MA01ABCDE1',
  },
  // 喆 is outside GB2312: the font must carry it
  debtor: { name: '张喆', address: ['上海市浦东新区世纪大道100号', '200120'] },
  reference: 'HX-2025-000123',
  creditor: '某某消费金融有限公司',
  currency: 'CNY',
  totalMinor: 1_234_567n,
  components: [
    { label: '本金', minor: 1_000_000n },
    { label: '利息', minor: 200_000n },
    { label: '违约金', minor: 34_567n },
  ],
  subject: '逾期还款提醒函',
  body: [
    '尊敬的张喆先生/女士：',
    '受某某消费金融有限公司委托，现就您名下账户的逾期欠款致函于您。请于收到本函后十五日内与我司联系，协商还款事宜。',
  ],
  disclosures: [
    '本函由华信资产管理有限公司受债权人委托发出，仅用于催收上述债务。',
    '如您认为我司工作人员存在违规行为，可拨打投诉电话 400-800-1235。',
  ],
};

const notice: ValidationNoticeInput = {
  sentOn: '2025-07-02',
  collector: {
    name: 'Huikuan Recovery LLC',
    address: ['100 Main Street, Suite 200', 'Springfield, IL 62701'],
    phone: '(800) 555-0100',
    email: 'disputes@recovery.example',
    hours: 'Monday to Friday, 9 a.m. to 5 p.m. Central',
  },
  consumer: { name: 'Jane Q. Public', address: ['42 Elm Street', 'Peoria, IL 61602'] },
  reference: 'US-778812',
  creditor: 'First Example Bank',
  itemization: {
    date: '2025-03-31',
    creditor: 'First Example Bank',
    amountMinor: 250_000n,
    interestMinor: 1_250n,
    feesMinor: 3_500n,
    paymentsMinor: 5_000n,
    creditsMinor: 100n,
  },
  disclosures: ['Illinois Collection Agency License No. 017.000000.'],
};

const pageText = async (pdf: Buffer) => (await readPdf(pdf)).pages.map(squeeze);

describe('renderLetter', () => {
  it('renders a zh-CN letter whose every part a PDF reader extracts back, amounts as ¥12,345.67', async () => {
    const letter = await renderLetter(zhLetter, { creationDate });
    expect(letter.pages).toBe(1);
    const read = await readPdf(letter.pdf);
    const text = squeeze(read.pages[0] ?? '');
    expect(
      missingFrom(text, [
        '华信资产管理有限公司',
        '统一社会信用代码 91110105MA01ABCDE1',
        '张喆',
        '上海市浦东新区世纪大道100号',
        '2025年3月14日',
        '逾期还款提醒函',
        '账户编号 HX-2025-000123',
        '债权人 某某消费金融有限公司',
        '本金 ¥10,000.00',
        '利息 ¥2,000.00',
        '违约金 ¥345.67',
        '欠款合计 ¥12,345.67',
        ...zhLetter.body,
        '此致',
        '重要提示',
        ...zhLetter.disclosures,
        'HX-2025-000123 · 第 1 页，共 1 页',
      ]),
    ).toEqual([]);
    expect(read.info).toMatchObject({
      Title: '逾期还款提醒函 — HX-2025-000123',
      Author: '华信资产管理有限公司',
      Language: 'zh-CN',
    });
    expect(shownGlyphCodes(letter.pdf)).not.toContain('0000');
    // the same input and date give the same bytes
    expect((await renderLetter(zhLetter, { creationDate })).pdf.equals(letter.pdf)).toBe(true);
  });

  it('prints every disclosure even when the body runs onto a second page', async () => {
    const long: LetterInput = {
      ...zhLetter,
      lang: 'en',
      currency: 'USD',
      components: undefined,
      totalMinor: 123_456n,
      subject: 'Your overdue account',
      body: Array.from(
        { length: 40 },
        (_, i) => `Paragraph ${i + 1} of the letter, with enough words to fill a line.`,
      ),
      disclosures: [
        'This is an attempt to collect a debt.',
        'Any information obtained will be used for that purpose.',
      ],
    };
    const letter = await renderLetter(long, { creationDate });
    expect(letter.pages).toBe(2);
    const pages = await pageText(letter.pdf);
    expect(pages[0]).toContain(squeeze('Total amount owed $1,234.56'));
    expect(pages[0]).toContain(squeeze('14 March 2025'));
    expect(pages[1]).toContain(squeeze('Important information'));
    for (const d of long.disclosures) expect(pages[1]).toContain(squeeze(d));
    expect(pages[1]).toContain(squeeze('Ref. HX-2025-000123 · page 2 of 2'));
  });

  it('refuses a letter it cannot print truthfully', async () => {
    const cases: Array<[Partial<LetterInput>, RegExp]> = [
      [{ disclosures: [] }, /disclosures needs at least 1 line/],
      [{ disclosures: ['   '] }, /disclosures line 1 is empty/],
      [
        { components: [{ label: '本金', minor: 1_000_000n }] },
        /add up to ¥10,000.00, not the total ¥12,345.67/,
      ],
      [{ totalMinor: -1n, components: undefined }, /negative/],
      [{ debtor: { name: '王𠮷', address: ['北京'] } }, /𠮷 \(U\+20BB7\)/],
      [{ currency: 'XYZ' }, /Unknown currency "XYZ"/],
      [{ date: '2025-02-30' }, /not a real calendar date/],
      [{ reference: '' }, /account reference is empty/],
    ];
    for (const [change, message] of cases) {
      await expect(renderLetter({ ...zhLetter, ...change })).rejects.toMatchObject({
        code: 'bad_input',
        message: expect.stringMatching(message),
      });
    }
  });
});

describe('the US validation notice', () => {
  // sent → assumed receipt (5 business days: no weekends, federal holidays or their observed days) → +30 days
  const periods: Array<[string, string, string, string]> = [
    ['Wednesday before Independence Day (Friday)', '2025-07-02', '2025-07-10', '2025-08-09'],
    ['Friday before Veterans Day (Monday)', '2024-11-08', '2024-11-18', '2024-12-18'],
    ['Tuesday of Thanksgiving week', '2025-11-25', '2025-12-03', '2026-01-02'],
    [
      "Thursday before New Year's Day observed on Friday 31 December",
      '2021-12-30',
      '2022-01-07',
      '2022-02-06',
    ],
    ['a Saturday before Memorial Day', '2025-05-24', '2025-06-02', '2025-07-02'],
    ['a plain week', '2025-03-03', '2025-03-10', '2025-04-09'],
  ];

  it.each(periods)('%s: sent %s, received %s, period ends %s', (_label, sentOn, receipt, endsOn) => {
    const figures = validationNoticeFigures({
      ...notice,
      sentOn,
      itemization: { ...notice.itemization, date: '2021-01-04' },
    });
    expect(figures.period).toEqual({ sentOn, assumedReceipt: receipt, endsOn });
  });

  it('prints the itemisation, the current amount and the computed end date', async () => {
    const rendered = await renderValidationNotice(notice, { creationDate });
    expect(rendered.period.endsOn).toBe('2025-08-09');
    expect(rendered.currentMinor).toBe(250_000n + 1_250n + 3_500n - 5_000n - 100n);
    const text = squeeze((await pageText(rendered.pdf)).join(''));
    expect(
      missingFrom(text, [
        'Huikuan Recovery LLC is a debt collector. We are trying to collect a debt that you owe to First Example Bank.',
        'As of March 31, 2025, you owed: $2,500.00',
        'You were charged this amount in interest: + $12.50',
        'You were charged this amount in fees: + $35.00',
        'You paid this amount toward the debt: – $50.00',
        'You were credited this amount toward the debt: – $1.00',
        'Total amount of the debt now: $2,496.50',
        'Call or write to us by August 9, 2025, to dispute all or part of the debt.',
        'If you write to us by August 9, 2025, we must stop collection on any amount you dispute',
        'If you write by August 9, 2025, we must stop collection until we send you that information.',
        'www.cfpb.gov/debt-collection',
        'Assumed receipt of this notice: July 10, 2025',
        'Illinois Collection Agency License No. 017.000000.',
        'How do you want to respond? (by August 9, 2025)',
        'This is not my debt.',
        'I want you to send me the name and address of the original creditor.',
      ]),
    ).toEqual([]);
    expect(shownGlyphCodes(rendered.pdf)).not.toContain('0000');
  });

  it('refuses figures that do not hold together', async () => {
    await expect(
      renderValidationNotice({ ...notice, itemization: { ...notice.itemization, paymentsMinor: 300_000n } }),
    ).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/Payments and credits exceed/),
    });
    await expect(
      renderValidationNotice({ ...notice, itemization: { ...notice.itemization, date: '2025-07-03' } }),
    ).rejects.toMatchObject({
      code: 'bad_input',
      message: 'The itemization date 2025-07-03 is after the notice is sent (2025-07-02).',
    });
  });
});

describe('renderPrintBatch', () => {
  const items: PrintItem[] = [
    { kind: 'letter', ...zhLetter },
    { kind: 'validation_notice', ...notice },
    {
      kind: 'letter',
      ...zhLetter,
      lang: 'en',
      reference: 'HX-2025-000456',
      debtor: { name: 'Li Lei 李雷', address: ['1 Nanjing Road', 'Shanghai 200001'] },
      subject: 'Payment reminder',
      body: ['Dear Mr Li,', 'Please contact us about your account.'],
      disclosures: ['This letter is sent on behalf of the creditor.'],
    },
  ];

  it('puts a cover with the count and references first, then each letter from a new page', async () => {
    const batch = await renderPrintBatch(items, { creationDate, title: 'Batch 2025-07-02' });
    expect(batch.letters).toEqual([
      { reference: 'HX-2025-000123', kind: 'letter', firstPage: 2, pages: 1 },
      { reference: 'US-778812', kind: 'validation_notice', firstPage: 3, pages: 2 },
      { reference: 'HX-2025-000456', kind: 'letter', firstPage: 5, pages: 1 },
    ]);
    expect(batch.pages).toBe(5);
    const read = await readPdf(batch.pdf);
    const pages = read.pages.map(squeeze);
    expect(pages).toHaveLength(5);
    // the cover's lines as they stand on the page: each row is number, reference, kind, first page, pages
    expect(read.lines[0]).toEqual([
      'Batch 2025-07-02',
      '3 letters · created 2025-03-14 00:00 UTC · 共 3 封',
      '# Reference 账户编号 Kind 类型 First page 起始页 Pages 页数',
      '1 HX-2025-000123 催收函 letter 2 1',
      '2 US-778812 validation notice 3 2',
      '3 HX-2025-000456 催收函 letter 5 1',
      'Batch 2025-07-02 · 1 / 5',
    ]);
    // each letter starts its own page, with its own page numbers
    expect(pages[1]).toMatch(/^华信资产管理有限公司/);
    expect(pages[1]).toContain(squeeze('张喆'));
    expect(pages[1]).toContain(squeeze('HX-2025-000123 · 第 1 页，共 1 页'));
    expect(pages[2]).toMatch(/^HuikuanRecoveryLLC/);
    expect(pages[2]).toContain(squeeze('Ref. US-778812 · page 1 of 2'));
    expect(pages[3]).toContain(squeeze('Ref. US-778812 · page 2 of 2'));
    expect(pages[4]).toContain(squeeze('Li Lei 李雷'));
    expect(pages[4]).toContain(squeeze('Ref. HX-2025-000456 · page 1 of 1'));
  });

  it('starts every letter on the front of a sheet for duplex printing', async () => {
    const batch = await renderPrintBatch(items, { creationDate, duplex: true });
    expect(batch.letters.map((l) => [l.firstPage, l.pages])).toEqual([
      [3, 1],
      [5, 2],
      [7, 1],
    ]);
    const read = await readPdf(batch.pdf);
    expect(read.pages[1]).toBe('');
    expect(read.pages[3]).toBe('');
    expect(read.lines[0]?.slice(3, 6)).toEqual([
      '1 HX-2025-000123 催收函 letter 3 1',
      '2 US-778812 validation notice 5 2',
      '3 HX-2025-000456 催收函 letter 7 1',
    ]);
  });

  it('names the letter that is wrong, and keeps to its size', async () => {
    await expect(
      renderPrintBatch([items[0] as PrintItem, { ...(items[2] as PrintItem), disclosures: [] }]),
    ).rejects.toMatchObject({
      code: 'bad_input',
      message: 'Letter 2 of the batch (HX-2025-000456): disclosures needs at least 1 line.',
    });
    await expect(renderPrintBatch([])).rejects.toMatchObject({ code: 'bad_input' });
    await expect(
      renderPrintBatch(Array.from({ length: 2_001 }, () => items[0] as PrintItem)),
    ).rejects.toMatchObject({ code: 'limit_exceeded' });
  });
});

describe('formatLetterDate', () => {
  it('writes dates the way each language does', () => {
    expect(formatLetterDate('2025-03-04', 'zh-CN')).toBe('2025年3月4日');
    expect(formatLetterDate('2025-03-04', 'en')).toBe('4 March 2025');
    expect(formatLetterDate('2025-03-04', 'en-US')).toBe('March 4, 2025');
  });
});
