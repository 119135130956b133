import { Card, Empty } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { itemsOf } from '../api.ts';
import { daysAgoIso, formatDate, todayIso } from '../format.ts';
import { useApi } from '../hooks.ts';
import { formatMinor, type Minor, minorToChartNumber } from '../money.ts';
import { pick } from '../types.ts';
import { Chart, type ChartOption } from './Chart.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';

const bucketOrder = ['current', 'M0', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M6+'];

/** Balances by delinquency bucket (GET /stats/balances-by-bucket). */
export function BucketChart({ client }: { client?: string }) {
  const { t } = useTranslation();
  const { data, error } = useApi<unknown>('/stats/balances-by-bucket', { client });
  const rows = useMemo(() => {
    const items = itemsOf<object>(data).map((row) => ({
      bucket: String(pick(row, 'bucket', 'name') ?? '—'),
      balance: pick<Minor>(row, 'balance_minor', 'total_minor', 'amount_minor') ?? 0,
      accounts: Number(pick(row, 'accounts', 'count') ?? 0),
      currency: pick<string>(row, 'currency') ?? 'CNY',
    }));
    return items.sort((a, b) => bucketOrder.indexOf(a.bucket) - bucketOrder.indexOf(b.bucket));
  }, [data]);
  const currency = rows[0]?.currency ?? 'CNY';
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 56, right: 16, top: 32, bottom: 28 },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (_value: unknown, index: number) => formatMinor(rows[index]?.balance, currency),
      },
      legend: { data: [t('charts.balance')], top: 0 },
      xAxis: { type: 'category', data: rows.map((row) => row.bucket) },
      yAxis: { type: 'value' },
      series: [
        {
          name: t('charts.balance'),
          type: 'bar',
          data: rows.map((row) => minorToChartNumber(row.balance, row.currency)),
          itemStyle: { color: '#1677ff' },
        },
      ],
    }),
    [rows, currency, t],
  );
  return (
    <Card title={t('charts.byBucket')} size="small">
      <ErrorAlert error={error} />
      {rows.length === 0 ? (
        <Empty description={t('charts.noData')} />
      ) : (
        <Chart option={option} label={t('charts.byBucket')} />
      )}
    </Card>
  );
}

/** Collections by day over the last 30 days (GET /stats/collections-by-day). */
export function CollectionsChart({ client, days = 30 }: { client?: string; days?: number }) {
  const { t } = useTranslation();
  const from = useMemo(() => daysAgoIso(days), [days]);
  const to = useMemo(() => todayIso(), []);
  const { data, error } = useApi<unknown>('/stats/collections-by-day', { client, from, to });
  const rows = useMemo(
    () =>
      itemsOf<object>(data)
        .map((row) => ({
          day: String(pick(row, 'day', 'date', 'paid_on') ?? ''),
          amount: pick<Minor>(row, 'amount_minor', 'collected_minor', 'total_minor') ?? 0,
          currency: pick<string>(row, 'currency') ?? 'CNY',
        }))
        .sort((a, b) => a.day.localeCompare(b.day)),
    [data],
  );
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 56, right: 16, top: 32, bottom: 28 },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (_value: unknown, index: number) =>
          formatMinor(rows[index]?.amount, rows[index]?.currency),
      },
      legend: { data: [t('charts.collected')], top: 0 },
      xAxis: { type: 'category', data: rows.map((row) => formatDate(row.day)) },
      yAxis: { type: 'value' },
      series: [
        {
          name: t('charts.collected'),
          type: 'line',
          smooth: true,
          areaStyle: { opacity: 0.15 },
          data: rows.map((row) => minorToChartNumber(row.amount, row.currency)),
          itemStyle: { color: '#13c2c2' },
        },
      ],
    }),
    [rows, t],
  );
  return (
    <Card title={t('charts.byDay', { days })} size="small">
      <ErrorAlert error={error} />
      {rows.length === 0 ? (
        <Empty description={t('charts.noData')} />
      ) : (
        <Chart option={option} label={t('charts.byDay', { days })} />
      )}
    </Card>
  );
}
