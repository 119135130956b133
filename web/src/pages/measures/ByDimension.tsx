/**
 * The measures by one dimension (GET /measures/by): a bar chart of the most collected rows above a
 * table of every row (amounts right-aligned in tabular figures, rates from their exact strings with
 * their parts in a tooltip), sortable in the browser; a note when the server cut the list short.
 */
import { Alert, Card, Empty, Select, Space, Spin, Table, Tooltip } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Money } from '../../components/Money.tsx';
import { useApi } from '../../hooks.ts';
import { formatMinor, minorToChartNumber } from '../../money.ts';
import { rateParts } from './KpiCards.tsx';
import {
  type ByDimension as ByDimensionAnswer,
  compareMinor,
  compareRates,
  countText,
  dimensionsFor,
  type MeasureDimension,
  type MeasureRow,
  ratePercentText,
  topCollected,
} from './model.ts';

const chartRows = 15;

type ShortRate =
  | 'recovery_rate'
  | 'account_recovery_rate'
  | 'contact_rate'
  | 'rpc_rate'
  | 'promise_kept_rate';

export function ByDimension({
  query,
  dimension,
  clientUser,
  onDimension,
}: {
  query: Record<string, string>;
  dimension: MeasureDimension;
  clientUser: boolean;
  onDimension: (dimension: MeasureDimension) => void;
}) {
  const { t } = useTranslation();
  const { data: answer, error, loading } = useApi<ByDimensionAnswer>('/measures/by', { ...query, dimension });
  // a failed request shows its error, not the figures of the previous one
  const data = error ? undefined : answer;
  const currency = data?.currency ?? query.currency ?? 'CNY';
  const rows = useMemo(() => data?.rows ?? [], [data]);
  const labelOf = (row: MeasureRow) => row.label || row.key || t('measures.none');

  const top = useMemo(() => topCollected(rows, chartRows), [rows]);
  const option = useMemo<ChartOption>(() => {
    const name = (row: MeasureRow) => row.label || row.key || t('measures.none');
    return {
      grid: { left: 56, right: 16, top: 32, bottom: 64 },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (_value: unknown, index: number) =>
          formatMinor(top[index]?.collected_minor, currency),
      },
      legend: { data: [t('measures.by.collected')], top: 0 },
      xAxis: {
        type: 'category',
        data: top.map(name),
        axisLabel: { interval: 0, rotate: top.length > 6 ? 30 : 0, width: 90, overflow: 'truncate' },
      },
      yAxis: { type: 'value' },
      series: [
        {
          name: t('measures.by.collected'),
          type: 'bar',
          barMaxWidth: 36,
          data: top.map((row) => minorToChartNumber(row.collected_minor, currency)),
          itemStyle: { color: '#13c2c2' },
        },
      ],
    };
  }, [top, currency, t]);

  const rate = (name: ShortRate) => ({
    title: <Tooltip title={t(`measures.kpi.${name}`)}>{t(`measures.by.short.${name}`)}</Tooltip>,
    key: name,
    align: 'right' as const,
    sorter: (a: MeasureRow, b: MeasureRow) => compareRates(a[name], b[name]),
    render: (_value: unknown, row: MeasureRow) => (
      <Tooltip title={t('measures.kpi.ratio', rateParts(name, row[name], currency))}>
        <span className="hk-num">{ratePercentText(row[name])}</span>
      </Tooltip>
    ),
  });
  const money = (title: string, key: 'placed_minor' | 'collected_minor' | 'commission_minor') => ({
    title,
    key,
    align: 'right' as const,
    sorter: (a: MeasureRow, b: MeasureRow) => compareMinor(a[key], b[key]),
    render: (_value: unknown, row: MeasureRow) => <Money value={row[key]} currency={currency} />,
  });
  const columns: ColumnsType<MeasureRow> = [
    {
      title: t(`measures.dimensions.${dimension}`),
      key: 'label',
      fixed: 'left',
      width: 160,
      ellipsis: true,
      sorter: (a, b) => labelOf(a).localeCompare(labelOf(b)),
      render: (_value, row) => labelOf(row),
    },
    {
      title: t('measures.by.accountsPlaced'),
      key: 'accounts_placed',
      align: 'right',
      sorter: (a, b) => a.accounts_placed - b.accounts_placed,
      render: (_value, row) => <span className="hk-num">{countText(row.accounts_placed)}</span>,
    },
    money(t('measures.by.placed'), 'placed_minor'),
    money(t('measures.by.collected'), 'collected_minor'),
    rate('recovery_rate'),
    rate('account_recovery_rate'),
    money(t('measures.kpi.commission'), 'commission_minor'),
    rate('contact_rate'),
    rate('rpc_rate'),
    rate('promise_kept_rate'),
  ];

  return (
    <Card
      size="small"
      title={t('measures.by.title')}
      extra={
        <Space>
          <span>{t('measures.by.dimension')}</span>
          <Select<MeasureDimension>
            aria-label={t('measures.by.dimension')}
            value={dimension}
            onChange={onDimension}
            style={{ width: 160 }}
            options={dimensionsFor(clientUser).map((value) => ({
              value,
              label: t(`measures.dimensions.${value}`),
            }))}
          />
        </Space>
      }
    >
      <ErrorAlert error={error} />
      {data?.truncated ? (
        <Alert
          type="warning"
          showIcon
          title={t('measures.by.truncated', { count: rows.length })}
          style={{ marginBottom: 12 }}
        />
      ) : null}
      <Spin spinning={loading}>
        {!loading && !error && rows.length === 0 ? (
          <Empty description={t('measures.by.empty')} />
        ) : (
          <>
            {top.length > 0 && (
              <Chart
                option={option}
                height={220}
                label={t('measures.by.chart', { count: Math.min(chartRows, rows.length) })}
              />
            )}
            <Table<MeasureRow>
              aria-label={t('measures.by.title')}
              size="small"
              rowKey={(row) => `k:${row.key}`}
              dataSource={rows}
              columns={columns}
              scroll={{ x: 'max-content' }}
              pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
            />
          </>
        )}
      </Spin>
    </Card>
  );
}
