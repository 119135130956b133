/**
 * The liquidation curves (GET /measures/recovery-curve): one line per vintage (the month placed), x =
 * months since placement, y = the cumulative recovery rate in percent. The tooltip shows each rate
 * from its exact decimal string with the amount collected.
 */
import { Card, Empty, Spin, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useApi } from '../../hooks.ts';
import { formatMinor } from '../../money.ts';
import { curveSeries, escapeHtml, type RecoveryCurves, ratePercentText } from './model.ts';

interface AxisParam {
  marker?: string;
  seriesIndex?: number;
  dataIndex?: number;
}

export function RecoveryCurve({ query }: { query: Record<string, string> }) {
  const { t } = useTranslation();
  const {
    data: answer,
    error,
    loading,
  } = useApi<RecoveryCurves>('/measures/recovery-curve', {
    ...query,
    months: 12,
    vintages: 12,
  });
  // a failed request shows its error, not the figures of the previous one
  const data = error ? undefined : answer;
  const currency = data?.currency ?? query.currency ?? 'CNY';
  const curves = useMemo(() => curveSeries(data?.vintages ?? []), [data]);

  const option = useMemo<ChartOption>(() => {
    const { months, series } = curves;
    return {
      grid: { left: 56, right: 24, top: 56, bottom: 48 },
      legend: { type: 'scroll', top: 0 },
      tooltip: {
        trigger: 'axis',
        confine: true,
        formatter: (params: AxisParam | AxisParam[]) => {
          const list = Array.isArray(params) ? params : [params];
          const month = list[0]?.dataIndex ?? 0;
          const lines = list.flatMap((param) => {
            const curve = series[param.seriesIndex ?? -1];
            const point = curve?.points[param.dataIndex ?? -1];
            if (!curve || !point) return [];
            const text = t('measures.curve.point', {
              rate: ratePercentText(point.rate),
              amount: formatMinor(point.collected_minor, currency),
            });
            return [`${param.marker ?? ''}${escapeHtml(curve.vintage)}: ${escapeHtml(text)}`];
          });
          return [escapeHtml(t('measures.curve.monthLabel', { month })), ...lines].join('<br/>');
        },
      },
      xAxis: {
        type: 'category',
        name: t('measures.curve.month'),
        nameLocation: 'middle',
        nameGap: 28,
        boundaryGap: false,
        data: months.map(String),
      },
      yAxis: {
        type: 'value',
        name: t('measures.curve.rate'),
        axisLabel: { formatter: '{value}%' },
      },
      series: series.map((curve) => ({
        type: 'line',
        name: curve.vintage,
        data: curve.data,
        connectNulls: false,
        symbolSize: 5,
      })),
    };
  }, [curves, currency, t]);

  const vintages = data?.vintages ?? [];
  return (
    <Card size="small" title={t('measures.curve.title')} style={{ height: '100%' }}>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        {t('measures.curve.explain')}
      </Typography.Paragraph>
      <ErrorAlert error={error} />
      <Spin spinning={loading}>
        {!loading && !error && vintages.length === 0 ? (
          <Empty description={t('measures.curve.empty')} />
        ) : (
          <Chart option={option} height={320} label={t('measures.curve.title')} />
        )}
      </Spin>
    </Card>
  );
}
