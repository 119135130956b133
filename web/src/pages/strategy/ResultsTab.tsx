/**
 * Champion / challenger results (GET /experiments): per test, the arms' figures; per challenger the
 * verdict in plain words with its confidence sequence, each metric's difference with the 95% interval
 * and the always-valid sequence, a range chart of the verdict metric's difference, its daily
 * cumulative series; and "promote" (POST /experiments/promote), which proposes a version for another
 * admin or supervisor to approve.
 */
import { Alert, App, Button, Card, Empty, Select, Space, Table, Tag, Typography } from 'antd';
import { CandlestickChart, ScatterChart } from 'echarts/charts';
import { MarkLineComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../../api.ts';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { confirmWithReason } from '../../components/ReasonDialog.tsx';
import { formatDate } from '../../format.ts';
import { useApi } from '../../hooks.ts';
import { type Interval, intervalText, type Metric, metrics, metricText, rates } from './model.ts';

use([CandlestickChart, ScatterChart, MarkLineComponent]);

type Verdict = 'not_enough_accounts' | 'challenger_better' | 'no_difference' | 'challenger_worse';

interface ArmResult {
  code: string;
  role: string;
  share_bp: number;
  accounts: number;
  recovery_rate: number | null;
  collected_per_account_minor: number | null;
  promise_kept_rate: number | null;
  contacts_per_account: number | null;
  cost_per_yuan: number | null;
}

interface MetricResult {
  metric: Metric;
  champion: number | null;
  challenger: number | null;
  difference: number | null;
  interval: Interval;
  sequence: Interval;
  p_value: number | null;
  verdict: Verdict;
}

interface Comparison {
  challenger: string;
  verdict: Verdict;
  metrics: MetricResult[];
  series: Array<{
    date: string;
    champion: number | null;
    challenger: number | null;
    difference: number | null;
    sequence: Interval;
    verdict: Verdict;
  }>;
}

interface Experiment {
  strategy_version_id: number;
  version: number;
  strategy: string;
  segment: string;
  test_id: string;
  window_days: number;
  as_of: string;
  primary_metric: Metric;
  min_accounts: number;
  entered: number;
  arms: ArmResult[];
  comparisons: Comparison[];
}

/** The value a chart draws: rates in percent, money in yuan. */
function chartValue(metric: Metric, value: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  if (rates.has(metric)) return value * 100;
  if (metric === 'collected_per_account') return value / 100;
  return value;
}

const verdictType: Record<Verdict, 'info' | 'success' | 'warning' | 'error'> = {
  not_enough_accounts: 'info',
  challenger_better: 'success',
  no_difference: 'warning',
  challenger_worse: 'error',
};

export function ResultsTab({ onPromoted }: { onPromoted: () => void }) {
  const { t } = useTranslation();
  const [window, setWindow] = useState(30);
  const [metric, setMetric] = useState<Metric>('recovery_rate');
  const { data, error, loading } = useApi<{ items: Experiment[] }>('/experiments', { window, metric });
  const items = data?.items ?? [];
  return (
    <>
      <ErrorAlert error={error} />
      <Space style={{ marginBottom: 12 }} wrap>
        <span>{t('strategies.results.window')}</span>
        <Select
          aria-label={t('strategies.results.window')}
          value={window}
          style={{ width: 110 }}
          onChange={setWindow}
          options={[7, 30, 90].map((days) => ({
            value: days,
            label: t('strategies.results.days', { count: days }),
          }))}
        />
        <span>{t('strategies.results.metric')}</span>
        <Select
          aria-label={t('strategies.results.metric')}
          value={metric}
          style={{ width: 180 }}
          onChange={setMetric}
          options={metrics.map((name) => ({ value: name, label: t(`strategies.metrics.${name}`) }))}
        />
      </Space>
      {!loading && items.length === 0 && <Empty description={t('strategies.results.empty')} />}
      {items.map((experiment) => (
        <ExperimentCard
          key={`${experiment.strategy_version_id}/${experiment.segment}`}
          experiment={experiment}
          onPromoted={onPromoted}
        />
      ))}
    </>
  );
}

function ExperimentCard({ experiment, onPromoted }: { experiment: Experiment; onPromoted: () => void }) {
  const { t } = useTranslation();
  const percent = (value: number | null) => metricText('recovery_rate', value);
  return (
    <Card
      size="small"
      style={{ marginBottom: 16 }}
      data-testid={`experiment-${experiment.test_id}`}
      title={t('strategies.results.heading', {
        version: experiment.version,
        segment: experiment.segment,
        test: experiment.test_id,
      })}
    >
      <Typography.Paragraph type="secondary">
        {t('strategies.results.entered', {
          entered: experiment.entered,
          date: formatDate(experiment.as_of),
          min: experiment.min_accounts,
        })}
      </Typography.Paragraph>
      <Table<ArmResult>
        aria-label={t('strategies.view.arms')}
        size="small"
        pagination={false}
        rowKey="code"
        dataSource={experiment.arms}
        columns={[
          {
            title: t('strategies.results.arm'),
            key: 'arm',
            render: (_v, arm) => (
              <Space size={4}>
                <Tag
                  color={arm.role === 'champion' ? 'green' : arm.role === 'challenger' ? 'purple' : 'default'}
                >
                  {t(`strategies.roles.${arm.role as 'champion'}`)}
                </Tag>
                {arm.code}
              </Space>
            ),
          },
          { title: t('strategies.results.accounts'), dataIndex: 'accounts', align: 'right' },
          {
            title: t('strategies.results.recovery'),
            dataIndex: 'recovery_rate',
            align: 'right',
            render: percent,
          },
          {
            title: t('strategies.results.perAccount'),
            dataIndex: 'collected_per_account_minor',
            align: 'right',
            render: (v: number | null) => metricText('collected_per_account', v),
          },
          {
            title: t('strategies.results.kept'),
            dataIndex: 'promise_kept_rate',
            align: 'right',
            render: percent,
          },
          {
            title: t('strategies.results.contacts'),
            dataIndex: 'contacts_per_account',
            align: 'right',
            render: (v: number | null) => metricText('contacts_per_account', v),
          },
          {
            title: t('strategies.results.cost'),
            dataIndex: 'cost_per_yuan',
            align: 'right',
            render: (v: number | null) => metricText('cost_per_yuan', v),
          },
        ]}
      />
      {experiment.comparisons.map((comparison) => (
        <ComparisonView
          key={comparison.challenger}
          experiment={experiment}
          comparison={comparison}
          onPromoted={onPromoted}
        />
      ))}
    </Card>
  );
}

function ComparisonView({
  experiment,
  comparison,
  onPromoted,
}: {
  experiment: Experiment;
  comparison: Comparison;
  onPromoted: () => void;
}) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const primary = experiment.primary_metric;
  const main = comparison.metrics.find((item) => item.metric === primary);
  const metricName = t(`strategies.metrics.${primary}`);

  const range = useMemo<ChartOption>(() => {
    const rows = [
      { name: t('strategies.results.interval'), interval: main?.interval ?? null },
      { name: t('strategies.results.sequence'), interval: main?.sequence ?? null },
    ];
    const point = chartValue(primary, main?.difference);
    return {
      tooltip: { trigger: 'item' },
      grid: { left: 170, right: 30, top: 20, bottom: 30 },
      yAxis: { type: 'category', data: rows.map((row) => row.name) },
      xAxis: { type: 'value', scale: false, name: metricName },
      series: [
        {
          // an error bar: the whiskers are the interval, the (flat) body the difference
          type: 'candlestick',
          name: t('strategies.results.difference'),
          barMaxWidth: 14,
          itemStyle: { color: '#1677ff', color0: '#1677ff', borderColor: '#1677ff', borderColor0: '#1677ff' },
          data: rows.map((row) => {
            const lo = chartValue(primary, row.interval?.[0]);
            const hi = chartValue(primary, row.interval?.[1]);
            return lo === null || hi === null || point === null ? '-' : [point, point, lo, hi];
          }),
          markLine: { symbol: 'none', data: [{ xAxis: 0 }], lineStyle: { type: 'dashed', color: '#999' } },
        },
        {
          type: 'scatter',
          name: t('strategies.results.difference'),
          data: rows.map((row) => [point, row.name]),
          symbolSize: 10,
        },
      ],
    };
  }, [main, primary, metricName, t]);

  const series = useMemo<ChartOption>(() => {
    const dates = comparison.series.map((row) => row.date);
    const v = (value: number | null) => chartValue(primary, value);
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 60, right: 60, top: 60, bottom: 30 },
      xAxis: { type: 'category', data: dates },
      yAxis: [
        { type: 'value', scale: true, name: metricName },
        { type: 'value', scale: true, name: t('strategies.results.difference') },
      ],
      series: [
        {
          type: 'line',
          name: t('strategies.results.champion'),
          data: comparison.series.map((r) => v(r.champion)),
        },
        {
          type: 'line',
          name: t('strategies.results.challenger'),
          data: comparison.series.map((r) => v(r.challenger)),
        },
        {
          type: 'line',
          yAxisIndex: 1,
          name: t('strategies.results.difference'),
          data: comparison.series.map((r) => v(r.difference)),
        },
        {
          type: 'line',
          yAxisIndex: 1,
          name: t('strategies.results.lower'),
          lineStyle: { type: 'dashed' },
          data: comparison.series.map((r) => v(r.sequence?.[0] ?? null)),
        },
        {
          type: 'line',
          yAxisIndex: 1,
          name: t('strategies.results.upper'),
          lineStyle: { type: 'dashed' },
          data: comparison.series.map((r) => v(r.sequence?.[1] ?? null)),
        },
      ],
    };
  }, [comparison, primary, metricName, t]);

  const promote = () =>
    confirmWithReason(
      modal,
      t,
      {
        title: t('strategies.results.promoteTitle', {
          challenger: comparison.challenger,
          segment: experiment.segment,
        }),
        okText: t('strategies.results.promote'),
        summary: <Typography.Paragraph>{t('strategies.results.promoteHint')}</Typography.Paragraph>,
        onOk: async (reason) => {
          try {
            const result = await api.post<{ proposed_version: number }>('/experiments/promote', {
              strategy_version_id: experiment.strategy_version_id,
              segment: experiment.segment,
              challenger: comparison.challenger,
              reason,
              // judged as shown: the same window, date, minimum and metric
              window: experiment.window_days,
              as_of: experiment.as_of,
              min_accounts: experiment.min_accounts,
              metric: experiment.primary_metric,
            });
            message.success(t('strategies.results.promoted', { version: result.proposed_version }));
            onPromoted();
          } catch (caught) {
            message.error(errorText(caught));
            throw caught;
          }
        },
      },
      (text) => message.warning(text),
    );

  return (
    <div style={{ marginTop: 16 }} data-testid={`comparison-${comparison.challenger}`}>
      <Typography.Title level={5}>
        {t('strategies.results.vs', { challenger: comparison.challenger })}
      </Typography.Title>
      <Alert
        type={verdictType[comparison.verdict]}
        showIcon
        data-testid="verdict"
        title={t('strategies.results.verdictWith', {
          verdict: t(`strategies.verdicts.${comparison.verdict}`),
          metric: metricName,
          difference: metricText(primary, main?.difference, true),
          interval: intervalText(primary, main?.sequence ?? null),
        })}
        action={
          <Button size="small" onClick={promote}>
            {t('strategies.results.promote')}
          </Button>
        }
        style={{ marginBottom: 8 }}
      />
      <Table<MetricResult>
        aria-label={t('strategies.results.difference')}
        size="small"
        pagination={false}
        rowKey="metric"
        dataSource={comparison.metrics}
        columns={[
          {
            title: t('strategies.results.metric'),
            dataIndex: 'metric',
            render: (m: Metric) => t(`strategies.metrics.${m}`),
          },
          {
            title: t('strategies.results.champion'),
            key: 'c',
            render: (_v, r) => metricText(r.metric, r.champion),
          },
          {
            title: t('strategies.results.challenger'),
            key: 'h',
            render: (_v, r) => metricText(r.metric, r.challenger),
          },
          {
            title: t('strategies.results.difference'),
            key: 'd',
            render: (_v, r) => metricText(r.metric, r.difference, true),
          },
          {
            title: t('strategies.results.interval'),
            key: 'i',
            render: (_v, r) => intervalText(r.metric, r.interval),
          },
          {
            title: t('strategies.results.sequence'),
            key: 's',
            render: (_v, r) => intervalText(r.metric, r.sequence),
          },
          {
            title: t('strategies.results.pValue'),
            dataIndex: 'p_value',
            render: (p: number | null) => (p === null ? '—' : p < 0.0001 ? '< 0.0001' : p.toFixed(4)),
          },
          {
            title: t('strategies.list.status'),
            dataIndex: 'verdict',
            render: (v: Verdict) => t(`strategies.verdicts.${v}`),
          },
        ]}
      />
      {(main?.interval || main?.sequence) && (
        <Chart option={range} height={140} label={t('strategies.results.intervalChart')} />
      )}
      {comparison.series.length > 0 && (
        <Chart
          option={series}
          height={260}
          label={t('strategies.results.seriesChart', { metric: metricName })}
        />
      )}
    </div>
  );
}
