/**
 * The roll-rate matrix of a month (GET /measures/roll-rates) as a heat map: rows = the bucket on the
 * month's first day, columns = where that balance was on its last day (a bucket, paid or closed), each
 * cell the share of the row's balance in percent; the tooltip names the balance and accounts.
 */
import { Card, DatePicker, Empty, Spin, Typography } from 'antd';
import dayjs from 'dayjs';
import { HeatmapChart } from 'echarts/charts';
import { VisualMapComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { todayIso } from '../../format.ts';
import { useApi } from '../../hooks.ts';
import { formatMinor } from '../../money.ts';
import {
  countText,
  escapeHtml,
  type RollMatrix,
  ratePercentText,
  rollCells,
  rollFromBuckets,
  rollToStates,
} from './model.ts';

use([HeatmapChart, VisualMapComponent]);

export function RollRates({
  query,
  month,
  onMonth,
}: {
  query: Record<string, string>;
  month: string;
  onMonth: (month: string) => void;
}) {
  const { t } = useTranslation();
  const { data: answer, error, loading } = useApi<RollMatrix>('/measures/roll-rates', { ...query, month });
  // a failed request shows its error, not the figures of the previous one
  const data = error ? undefined : answer;
  const currency = data?.currency ?? query.currency ?? 'CNY';
  const cells = useMemo(() => rollCells(data ?? { rows: [] }), [data]);
  const hasBalance = (data?.rows ?? []).some((row) => BigInt(row.balance_minor) > 0n);

  const option = useMemo<ChartOption>(() => {
    const rows = new Map((data?.rows ?? []).map((row) => [row.from, row]));
    const stateName = (state: string) =>
      state === 'current' || state === 'paid' || state === 'closed' ? t(`measures.states.${state}`) : state;
    return {
      grid: { left: 64, right: 16, top: 28, bottom: 92 },
      tooltip: {
        confine: true,
        formatter: (param: { dataIndex?: number }) => {
          const cell = cells[param.dataIndex ?? -1];
          if (!cell) return '';
          const row = rows.get(cell.from);
          return [
            t('measures.roll.cell', {
              from: stateName(cell.from),
              to: stateName(cell.state),
              rate: ratePercentText(cell.rate),
            }),
            t('measures.roll.balance', {
              amount: formatMinor(cell.balance_minor, currency),
              accounts: countText(cell.accounts),
            }),
            row
              ? t('measures.roll.rowTotal', {
                  from: stateName(cell.from),
                  amount: formatMinor(row.balance_minor, currency),
                  accounts: countText(row.accounts),
                })
              : '',
          ]
            .filter(Boolean)
            .map(escapeHtml)
            .join('<br/>');
        },
      },
      xAxis: {
        type: 'category',
        name: t('measures.roll.to'),
        nameLocation: 'middle',
        nameGap: 24,
        data: rollToStates.map(stateName),
        splitArea: { show: true },
        axisLabel: { interval: 0 },
      },
      yAxis: {
        type: 'category',
        name: t('measures.roll.from'),
        // inverse puts the axis' start at the top: the name goes above the first row
        nameLocation: 'start',
        inverse: true,
        data: rollFromBuckets.map(stateName),
        splitArea: { show: true },
      },
      visualMap: {
        min: 0,
        max: 100,
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 120,
        text: ['100%', '0%'],
        formatter: (value: number) => `${Math.round(value)}%`,
        inRange: { color: ['#f0f5ff', '#85a5ff', '#1d39c4'] },
      },
      series: [
        {
          type: 'heatmap',
          name: t('measures.roll.title'),
          data: cells.map((cell) => [cell.x, cell.y, cell.percent ?? '-']),
          label: {
            show: true,
            fontSize: 10,
            formatter: (param: { dataIndex?: number }) => {
              const cell = cells[param.dataIndex ?? -1];
              return cell?.rate.value ? ratePercentText(cell.rate, 1) : '';
            },
          },
          emphasis: { itemStyle: { borderColor: '#000', borderWidth: 1 } },
        },
      ],
    };
  }, [cells, data, currency, t]);

  return (
    <Card
      size="small"
      title={t('measures.roll.title')}
      style={{ height: '100%' }}
      extra={
        <DatePicker
          picker="month"
          allowClear={false}
          value={dayjs(`${month}-01`)}
          onChange={(value) => value && onMonth(value.format('YYYY-MM'))}
          aria-label={t('measures.roll.month')}
          // a month's roll rates are known once it is over (the server refuses the current month)
          disabledDate={(day) => !day.isBefore(dayjs(`${todayIso().slice(0, 7)}-01`), 'month')}
          style={{ width: 120 }}
        />
      }
    >
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        {t('measures.roll.explain')}
      </Typography.Paragraph>
      <ErrorAlert error={error} />
      <Spin spinning={loading}>
        {!loading && !error && !hasBalance ? (
          <Empty description={t('measures.roll.empty')} />
        ) : (
          <Chart option={option} height={360} label={t('measures.roll.title')} />
        )}
      </Spin>
    </Card>
  );
}
