/**
 * A small fixed scorecard for the platform's tests (not used by production code): days past due and
 * payments in the last 90 days, event = not paid (positive '0'), factor 20 and offset 500 so scores
 * are whole numbers worked out by hand:
 *   days_past_due ≤ 90: η −1 (points +20)    > 90: η +1 (points −20, reason days_past_due:2)
 *   paid_90d_minor ≤ 0: η +0.5 (−10, reason paid_90d_minor:1)    > 0: η −0.5 (+10)
 * score = 500 − 20·η, probability of not paying = sigmoid(η); bands at 480, 500, 520.
 */
import type { PaymentInput } from '../../ledger/payments.ts';
import type { Bin } from '../binning.ts';
import type { Model, ScoredBin } from '../train.ts';

function bin(kind: Bin['kind'], upper: number | null, woe: number, code: string, text: string): ScoredBin {
  return {
    kind,
    label: code,
    ...(kind === 'range' ? { lower: null, upper } : {}),
    count: 10,
    events: 5,
    nonEvents: 5,
    eventRate: 0.5,
    woe,
    iv: 0.1,
    points: -20 * woe,
    code,
    text: { en: text, 'zh-CN': `中文：${text}` },
  };
}

export function testModel(overrides: { validationAuc?: number; train?: number[] } = {}): Model {
  const features: Model['features'] = [
    {
      name: 'days_past_due',
      type: 'numeric',
      trend: 'ascending',
      iv: 0.2,
      coefficient: 1,
      specialValues: [],
      bins: [
        bin('range', 90, -1, 'days_past_due:1', 'days past due up to 90'),
        { ...bin('range', null, 1, 'days_past_due:2', 'days past due above 90'), lower: 90 },
        bin('missing', null, 0, 'days_past_due:3', 'days past due unknown'),
      ],
    },
    {
      name: 'paid_90d_minor',
      type: 'numeric',
      trend: 'descending',
      iv: 0.2,
      coefficient: 1,
      specialValues: [],
      bins: [
        bin('range', 0, 0.5, 'paid_90d_minor:1', 'nothing paid in the last 90 days'),
        { ...bin('range', null, -0.5, 'paid_90d_minor:2', 'paid in the last 90 days'), lower: 0 },
        bin('missing', null, 0, 'paid_90d_minor:3', 'payments unknown'),
      ],
    },
  ];
  const train = overrides.train ?? [25, 25, 25, 25];
  return {
    format: 'huikuan-scorecard',
    version: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    data: {
      file: 'test',
      rows: 100,
      rowsWithoutTarget: 0,
      target: 'paid',
      positive: '0',
      negative: '1',
      events: 50,
      trainRows: 70,
      validationRows: 30,
    },
    options: {} as Model['options'],
    scaling: { baseScore: 500, baseOdds: 1, pdo: 20 * Math.LN2, factor: 20, offset: 500 },
    intercept: 0,
    fit: { iterations: 1, converged: true, l2: 1 },
    features,
    candidates: [],
    validation: {
      train: { rows: 70, events: 35, auc: 0.8, gini: 0.6, ks: 0.5 },
      validation: { rows: 30, events: 15, auc: overrides.validationAuc ?? 0.8, gini: 0.6, ks: 0.5 },
      calibration: train.map((rows, k) => ({ band: String(k), rows, events: 0, predicted: 0, observed: 0 })),
      curves: { roc: [], ks: [], histogram: [], width: 5 },
    },
    bands: { edges: [480, 500, 520], train },
  };
}

/** A bank payment into trust for postPayments. */
export function bankPayment(
  clientId: bigint,
  accountId: bigint,
  externalId: string,
  amountMinor: bigint,
  paidOn: string,
): PaymentInput {
  return {
    clientId,
    accountId,
    externalId,
    amountMinor,
    currency: 'CNY',
    paidOn,
    paidAt: null,
    channel: 'bank',
    direct: false,
  };
}
