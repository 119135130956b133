import { Card, Empty } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { itemsOf } from '../api.ts';
import { daysAgoIso, formatDate } from '../format.ts';
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
  // to tomorrow: the server's business day (Asia/Shanghai) may already be ahead of the browser's
  const to = useMemo(() => daysAgoIso(-1), []);
  const { data, error } = useApi<unknown>('/stats/collections-by-day', { client, from, to });
  const rows = useMemo(() => {
    const byDay = new Map<string, { day: string; amount: Minor; currency: string }>();
    for (const row of itemsOf<object>(data)) {
      const day = String(pick(row, 'date', 'day', 'paid_on') ?? '');
      const currency = pick<string>(row, 'currency') ?? 'CNY';
      // one series: the first currency the answer names (an agency's portfolio is nearly always in one)
      if (byDay.size > 0 && [...byDay.values()][0]?.currency !== currency) continue;
      byDay.set(day, {
        day,
        amount: pick<Minor>(row, 'total_minor', 'collected_minor', 'amount_minor') ?? 0,
        currency,
      });
    }
    if (byDay.size === 0) return [];
    const currency = [...byDay.values()][0]?.currency ?? 'CNY';
    // every day of the period, the quiet ones as zero
    const out: Array<{ day: string; amount: Minor; currency: string }> = [];
    for (
      let date = new Date(`${from}T00:00:00Z`);
      date <= new Date(`${to}T00:00:00Z`);
      date.setUTCDate(date.getUTCDate() + 1)
    ) {
      const day = date.toISOString().slice(0, 10);
      out.push(byDay.get(day) ?? { day, amount: 0, currency });
    }
    return out;
  }, [data, from, to]);
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
          type: 'bar',
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
