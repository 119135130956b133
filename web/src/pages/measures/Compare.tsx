/**
 * Before / after (GET /measures/compare): one of the comparable measures over the current period
 * ("after") and an earlier one ("before", by default as many days just before it): both rates with
 * their parts, the difference in percentage points with its 95% interval drawn as an error bar, the
 * p-value, and the verdict in plain words.
 */
import { Alert, Card, DatePicker, Descriptions, Empty, Select, Space, Spin } from 'antd';
import dayjs from 'dayjs';
import { CandlestickChart, ScatterChart } from 'echarts/charts';
import { MarkLineComponent } from 'echarts/components';
import { use } from 'echarts/core';
import type { TFunction } from 'i18next';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { formatDate } from '../../format.ts';
import { useApi } from '../../hooks.ts';
import {
  type ComparableMeasure,
  type Comparison,
  comparableMeasures,
  countText,
  type Period,
  percentDigits,
  percentNumber,
  pValueText,
  type Rate,
  ratePercentText,
  type Verdict,
  verdictOf,
} from './model.ts';

use([CandlestickChart, ScatterChart, MarkLineComponent]);

/** A difference of rates in percentage points, signed: `'0.012345'` → `+1.23 points`. */
function pointsText(t: TFunction, value: string | null | undefined): string {
  const digits = percentDigits(value, 2, true);
  return digits === null ? '—' : t('measures.compare.points', { value: digits });
}

/** A difference's 95% interval in percentage points: `[-0.52, +3.10] points`; `'—'` for none. */
function intervalOf(t: TFunction, interval: Comparison['interval'] | undefined): string {
  return interval
    ? t('measures.compare.intervalValue', {
        low: percentDigits(interval.low, 2, true),
        high: percentDigits(interval.high, 2, true),
      })
    : '—';
}

const verdictType: Record<Verdict, 'info' | 'success' | 'warning' | 'error'> = {
  not_enough: 'info',
  higher: 'success',
  no_difference: 'warning',
  lower: 'error',
};

export function Compare({
  query,
  measure,
  before,
  onMeasure,
  onBefore,
}: {
  /** the cut and the current ("after") period */
  query: Record<string, string>;
  measure: ComparableMeasure;
  before: Period;
  onMeasure: (measure: ComparableMeasure) => void;
  onBefore: (before: Period) => void;
}) {
  const { t } = useTranslation();
  const {
    data: answer,
    error,
    loading,
  } = useApi<Comparison>('/measures/compare', {
    ...query,
    measure,
    before_from: before.from,
    before_to: before.to,
  });
  // a failed request shows its error, not the figures of the previous one
  const data = error ? undefined : answer;
  const verdict = data ? verdictOf(data) : null;
  const points = (value: string | null | undefined) => pointsText(t, value);
  const intervalText = (interval: Comparison['interval'] | undefined) => intervalOf(t, interval);

  const option = useMemo<ChartOption>(() => {
    const point = percentNumber(data?.difference);
    const low = percentNumber(data?.interval?.low);
    const high = percentNumber(data?.interval?.high);
    const name = t('measures.compare.difference');
    return {
      tooltip: {
        trigger: 'item',
        formatter: () =>
          `${pointsText(t, data?.difference)}<br/>${t('measures.compare.interval')}: ${intervalOf(t, data?.interval)}`,
      },
      grid: { left: 90, right: 30, top: 16, bottom: 36 },
      yAxis: { type: 'category', data: [name] },
      xAxis: { type: 'value', scale: false, axisLabel: { formatter: '{value}' } },
      series: [
        {
          // an error bar: the whiskers are the interval, the (flat) body the difference
          type: 'candlestick',
          name,
          barMaxWidth: 14,
          itemStyle: { color: '#1677ff', color0: '#1677ff', borderColor: '#1677ff', borderColor0: '#1677ff' },
          data: [low === null || high === null || point === null ? '-' : [point, point, low, high]],
          markLine: {
            symbol: 'none',
            silent: true,
            data: [{ xAxis: 0 }],
            lineStyle: { type: 'dashed', color: '#999' },
          },
        },
        { type: 'scatter', name, data: [[point, name]], symbolSize: 10 },
      ],
    };
  }, [data, t]);

  const side = (key: string, label: string, rate: (Rate & Period) | undefined) => ({
    key,
    label,
    children: (
      <Space orientation="vertical" size={0}>
        <strong className="hk-num">{ratePercentText(rate)}</strong>
        <span className="hk-num">
          {t('measures.kpi.ratio', {
            numerator: countText(rate?.numerator),
            denominator: countText(rate?.denominator),
          })}
        </span>
        {rate ? (
          <span>
            {t('measures.compare.period', { from: formatDate(rate.from), to: formatDate(rate.to) })}
          </span>
        ) : null}
      </Space>
    ),
  });

  return (
    <Card
      size="small"
      title={t('measures.compare.title')}
      extra={
        <Space wrap>
          <span>{t('measures.compare.measure')}</span>
          <Select<ComparableMeasure>
            aria-label={t('measures.compare.measure')}
            value={measure}
            onChange={onMeasure}
            popupMatchSelectWidth={false}
            style={{ width: 200 }}
            options={comparableMeasures.map((value) => ({ value, label: t(`measures.kpi.${value}`) }))}
          />
          <span>{t('measures.compare.beforePeriod')}</span>
          <DatePicker.RangePicker
            allowClear={false}
            aria-label={t('measures.compare.beforePeriod')}
            value={[dayjs(before.from), dayjs(before.to)]}
            onChange={(range) => {
              const [start, end] = range ?? [];
              if (start && end) onBefore({ from: start.format('YYYY-MM-DD'), to: end.format('YYYY-MM-DD') });
            }}
            style={{ width: 240 }}
          />
        </Space>
      }
    >
      <ErrorAlert error={error} />
      <Spin spinning={loading}>
        {!data ? (
          loading || error ? (
            <div style={{ minHeight: 120 }} />
          ) : (
            <Empty />
          )
        ) : (
          <>
            {verdict && (
              <Alert
                type={verdictType[verdict]}
                showIcon
                data-testid="measures-verdict"
                title={t(`measures.compare.verdicts.${verdict}`)}
                description={verdict === 'not_enough' ? t('measures.compare.notEnoughHint') : undefined}
                style={{ marginBottom: 12 }}
              />
            )}
            <Descriptions
              size="small"
              bordered
              column={{ xs: 1, sm: 2, lg: 3, xxl: 5 }}
              items={[
                side('before', t('measures.compare.before'), data.before),
                side('after', t('measures.compare.after'), data.after),
                {
                  key: 'difference',
                  label: t('measures.compare.difference'),
                  children: <span className="hk-num">{points(data.difference)}</span>,
                },
                {
                  key: 'interval',
                  label: t('measures.compare.interval'),
                  children: <span className="hk-num">{intervalText(data.interval)}</span>,
                },
                {
                  key: 'p',
                  label: t('measures.compare.pValue'),
                  children: <span className="hk-num">{pValueText(data.p_value)}</span>,
                },
              ]}
            />
            {data.interval && data.difference !== null ? (
              <Chart option={option} height={110} label={t('measures.compare.chart')} />
            ) : null}
          </>
        )}
      </Spin>
    </Card>
  );
}
