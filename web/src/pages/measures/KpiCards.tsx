/**
 * The key figures of the cut and period (GET /measures/summary) as Statistic cards: money from minor
 * units, rates as percentages from their exact decimal strings with the numerator and denominator
 * beneath (and named in a tooltip), '—' when a rate has no denominator.
 */
import { Card, Col, Row, Statistic, Tooltip, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { formatMinor } from '../../money.ts';
import {
  countText,
  dayText,
  type MeasureValues,
  type Rate,
  type RateName,
  ratePercentText,
} from './model.ts';

/** The rates whose parts are money (the others count things). */
const moneyRates = new Set<RateName>(['recovery_rate', 'bad_debt_rate']);

function Kpi({
  title,
  value,
  caption,
  tip,
  testId,
}: {
  title: string;
  value: string;
  caption?: ReactNode;
  tip?: ReactNode;
  testId: string;
}) {
  return (
    <Col xs={12} md={8} lg={6} xl={4}>
      <Tooltip title={tip} placement="bottom">
        <Card size="small" style={{ height: '100%' }} data-testid={`kpi-${testId}`}>
          <Statistic
            title={title}
            value={value}
            formatter={() => <span className="hk-num">{value}</span>}
            styles={{ content: { fontSize: 20 } }}
          />
          {caption ? (
            <Typography.Text type="secondary" style={{ fontSize: 12, fontVariantNumeric: 'tabular-nums' }}>
              {caption}
            </Typography.Text>
          ) : null}
        </Card>
      </Tooltip>
    </Col>
  );
}

/** A rate's numerator and denominator as text: money formatted, counts grouped. */
export function rateParts(
  name: RateName,
  rate: Rate,
  currency: string,
): { numerator: string; denominator: string } {
  const part = (value: Rate['numerator']) =>
    moneyRates.has(name) ? formatMinor(value, currency) : countText(value);
  return { numerator: part(rate.numerator), denominator: part(rate.denominator) };
}

export function KpiCards({ values, currency }: { values: MeasureValues; currency: string }) {
  const { t } = useTranslation();
  const money = (value: MeasureValues['placed_minor']) => formatMinor(value, currency);

  const rateCard = (name: RateName) => {
    const rate = values[name];
    const parts = rateParts(name, rate, currency);
    return (
      <Kpi
        key={name}
        testId={name}
        title={t(`measures.kpi.${name}`)}
        value={ratePercentText(rate)}
        caption={t('measures.kpi.ratio', parts)}
        tip={
          <>
            <div>
              {t('measures.kpi.part', {
                label: t(`measures.parts.${name}.numerator`),
                value: parts.numerator,
              })}
            </div>
            <div>
              {t('measures.kpi.part', {
                label: t(`measures.parts.${name}.denominator`),
                value: parts.denominator,
              })}
            </div>
          </>
        }
      />
    );
  };
  const first = values.days_to_first_payment;
  const full = values.days_to_full_payment;

  return (
    <Row gutter={[12, 12]}>
      <Kpi
        testId="placed"
        title={t('measures.kpi.placed')}
        value={money(values.placed_minor)}
        caption={t('measures.kpi.accounts', { count: values.accounts_placed })}
        tip={t('measures.kpi.placedTip', { count: values.accounts_placed })}
      />
      <Kpi
        testId="collected"
        title={t('measures.kpi.collected')}
        value={money(values.collected_minor)}
        caption={t('measures.kpi.payments', { count: values.payments, accounts: values.accounts_paying })}
        tip={
          <>
            <div>{t('measures.kpi.trust', { amount: money(values.collected_trust_minor) })}</div>
            <div>{t('measures.kpi.direct', { amount: money(values.collected_direct_minor) })}</div>
          </>
        }
      />
      {rateCard('recovery_rate')}
      {rateCard('account_recovery_rate')}
      <Kpi
        testId="commission"
        title={t('measures.kpi.commission')}
        value={money(values.commission_minor)}
        tip={t('measures.kpi.commissionTip')}
      />
      <Kpi
        testId="net_to_client"
        title={t('measures.kpi.net_to_client')}
        value={money(values.net_to_client_minor)}
        tip={t('measures.kpi.netTip')}
      />
      {rateCard('bad_debt_rate')}
      {rateCard('contact_rate')}
      {rateCard('rpc_rate')}
      {rateCard('promise_rate')}
      {rateCard('promise_kept_rate')}
      {rateCard('plan_completion_rate')}
      {rateCard('lost_contact_rate')}
      <Kpi
        testId="days_to_first_payment"
        title={t('measures.kpi.days_to_first_payment')}
        value={t('measures.kpi.daysValue', {
          median: dayText(first.median_days),
          p90: dayText(first.p90_days),
        })}
        caption={t('measures.kpi.daysCaption', { count: first.accounts })}
        tip={
          <>
            <div>
              {t('measures.kpi.firstPayment', {
                median: dayText(first.median_days),
                p90: dayText(first.p90_days),
                count: first.accounts,
              })}
            </div>
            <div>
              {t('measures.kpi.fullPayment', {
                median: dayText(full.median_days),
                p90: dayText(full.p90_days),
                count: full.accounts,
              })}
            </div>
          </>
        }
      />
    </Row>
  );
}
