import { Alert, Card, Col, Descriptions, Empty, Row, Table, Typography } from 'antd';
import { MarkLineComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useApi } from '../../hooks.ts';

// the drift threshold lines of the monitoring chart
echarts.use([MarkLineComponent]);

interface Figures {
  rows: number;
  events: number;
  auc: number | null;
  gini: number | null;
  ks: number | null;
}

interface Bin {
  label: string;
  count: number;
  events: number;
  event_rate: number;
  woe: number;
  iv: number;
  points: number;
  code: string;
}

export interface Report {
  model: { id: number; name: string; version: number; status: string };
  event: string;
  data: { rows: number; events: number; train_rows: number; validation_rows: number };
  train: Figures;
  validation: Figures;
  cross_validation: { folds: number; mean_auc: number; sd_auc: number } | null;
  psi: number | null;
  scaling: { base_score: number; base_odds: number; pdo: number };
  intercept: number;
  roc: Array<{ fpr: number; tpr: number }>;
  ks_curve: Array<{ score: number; events: number; non_events: number }>;
  histogram: { width: number; bins: Array<{ from: number; events: number; non_events: number }> };
  calibration: Array<{ band: string; rows: number; events: number; predicted: number; observed: number }>;
  scorecard: Array<{ name: string; iv: number; coefficient: number; bins: Bin[] }>;
  dropped: Array<{ name: string; iv: number | null; code: string | null; reason: string | null }>;
  monitoring: Array<{
    month: string;
    accounts: number;
    events: number;
    auc: number | null;
    ks: number | null;
    psi: number | null;
    validation_auc: number | null;
  }>;
  alerts: Array<{ month: string; kind: string; value: number; threshold: number; message: string }>;
  thresholds: { psi: number; auc_drop: number };
}

const fixed = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined ? '—' : value.toFixed(digits);

interface ScorecardRow extends Bin {
  key: string;
  feature: string;
  featureIv: number;
  coefficient: number;
  first: boolean;
  span: number;
}

/**
 * A model's validation report (GET /risk/models/:id/report): AUC, Gini and KS on training and
 * validation, the ROC and KS curves, the score distribution, calibration by band, the scorecard with
 * each bin's WoE, IV and points, the candidates left out, and the monthly monitoring against the
 * drift thresholds.
 */
export function ModelReport({ modelId }: { modelId: number }) {
  const { t } = useTranslation();
  const { data, error, loading } = useApi<Report>(`/risk/models/${modelId}/report`);

  const charts = useMemo(() => {
    if (!data) return null;
    const roc: ChartOption = {
      tooltip: { trigger: 'axis' },
      grid: { left: 50, right: 20, top: 30, bottom: 40 },
      xAxis: { type: 'value', min: 0, max: 1, name: 'FPR', nameLocation: 'middle', nameGap: 25 },
      yAxis: { type: 'value', min: 0, max: 1, name: 'TPR' },
      legend: { data: ['ROC', t('risk.report.chance')] },
      series: [
        { name: 'ROC', type: 'line', showSymbol: false, data: data.roc.map((p) => [p.fpr, p.tpr]) },
        {
          name: t('risk.report.chance'),
          type: 'line',
          showSymbol: false,
          lineStyle: { type: 'dashed' },
          data: [
            [0, 0],
            [1, 1],
          ],
        },
      ],
    };
    const ks: ChartOption = {
      tooltip: { trigger: 'axis' },
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      legend: { data: [t('risk.report.cumEvents'), t('risk.report.cumNonEvents')] },
      xAxis: { type: 'value', scale: true },
      yAxis: { type: 'value', min: 0, max: 1 },
      series: [
        {
          name: t('risk.report.cumEvents'),
          type: 'line',
          showSymbol: false,
          data: data.ks_curve.map((p) => [p.score, p.events]),
        },
        {
          name: t('risk.report.cumNonEvents'),
          type: 'line',
          showSymbol: false,
          data: data.ks_curve.map((p) => [p.score, p.non_events]),
        },
      ],
    };
    const distribution: ChartOption = {
      tooltip: { trigger: 'axis' },
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      legend: { data: [t('risk.report.eventsSeries'), t('risk.report.nonEventsSeries')] },
      xAxis: { type: 'category', data: data.histogram.bins.map((b) => String(b.from)) },
      yAxis: { type: 'value' },
      series: [
        {
          name: t('risk.report.eventsSeries'),
          type: 'bar',
          stack: 'rows',
          data: data.histogram.bins.map((b) => b.events),
        },
        {
          name: t('risk.report.nonEventsSeries'),
          type: 'bar',
          stack: 'rows',
          data: data.histogram.bins.map((b) => b.non_events),
        },
      ],
    };
    const calibration: ChartOption = {
      tooltip: { trigger: 'axis' },
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      legend: { data: [t('risk.report.predicted'), t('risk.report.observed')] },
      xAxis: { type: 'category', data: data.calibration.map((c) => c.band) },
      yAxis: { type: 'value', min: 0, max: 1 },
      series: [
        { name: t('risk.report.predicted'), type: 'bar', data: data.calibration.map((c) => c.predicted) },
        { name: t('risk.report.observed'), type: 'bar', data: data.calibration.map((c) => c.observed) },
      ],
    };
    const validationAuc = data.validation.auc;
    const monitoring: ChartOption = {
      tooltip: { trigger: 'axis' },
      grid: { left: 50, right: 30, top: 40, bottom: 30 },
      legend: { data: ['AUC', 'KS', 'PSI'] },
      xAxis: { type: 'category', data: data.monitoring.map((m) => m.month) },
      yAxis: { type: 'value', min: 0 },
      series: [
        {
          name: 'AUC',
          type: 'line',
          data: data.monitoring.map((m) => m.auc),
          ...(validationAuc !== null
            ? {
                markLine: {
                  symbol: 'none',
                  label: { formatter: t('risk.report.aucThreshold') },
                  data: [{ yAxis: Number((validationAuc - data.thresholds.auc_drop).toFixed(3)) }],
                },
              }
            : {}),
        },
        { name: 'KS', type: 'line', data: data.monitoring.map((m) => m.ks) },
        {
          name: 'PSI',
          type: 'line',
          data: data.monitoring.map((m) => m.psi),
          markLine: {
            symbol: 'none',
            lineStyle: { color: '#cf1322', type: 'dashed' },
            label: { formatter: t('risk.report.psiThreshold') },
            data: [{ yAxis: data.thresholds.psi }],
          },
        },
      ],
    };
    return { roc, ks, distribution, calibration, monitoring };
  }, [data, t]);

  const scorecard = useMemo<ScorecardRow[]>(
    () =>
      (data?.scorecard ?? []).flatMap((feature) =>
        feature.bins.map((bin, index) => ({
          ...bin,
          key: `${feature.name}|${bin.code}`,
          feature: feature.name,
          featureIv: feature.iv,
          coefficient: feature.coefficient,
          first: index === 0,
          span: feature.bins.length,
        })),
      ),
    [data],
  );

  if (error) return <ErrorAlert error={error} />;
  if (loading || !data || !charts) return <Card loading size="small" />;
  const name = `${data.model.name} v${data.model.version}`;
  const featureCell = (row: ScorecardRow) => ({ rowSpan: row.first ? row.span : 0 });
  return (
    <section aria-label={t('risk.report.title', { model: name })}>
      <Typography.Title level={5}>{t('risk.report.title', { model: name })}</Typography.Title>
      <Descriptions size="small" bordered column={{ xs: 1, md: 3 }}>
        <Descriptions.Item label={t('risk.report.event')}>
          {t(data.event === 'paid' ? 'risk.report.events.paid' : 'risk.report.events.notPaid')}
        </Descriptions.Item>
        <Descriptions.Item label={t('risk.report.rows')}>
          {data.data.rows} / {data.data.events}
        </Descriptions.Item>
        <Descriptions.Item label="PSI">{fixed(data.psi)}</Descriptions.Item>
        {(['validation', 'train'] as const).map((set) => (
          <Descriptions.Item key={set} label={t(`risk.report.${set}`)} span={{ xs: 1, md: 3 }}>
            <span data-testid={`report-${set}`}>
              AUC {fixed(data[set].auc)} · Gini {fixed(data[set].gini)} · KS {fixed(data[set].ks)} (
              {data[set].rows} / {data[set].events})
            </span>
          </Descriptions.Item>
        ))}
        {data.cross_validation && (
          <Descriptions.Item
            label={t('risk.report.crossValidation', { folds: data.cross_validation.folds })}
            span={{ xs: 1, md: 3 }}
          >
            {fixed(data.cross_validation.mean_auc)} ± {fixed(data.cross_validation.sd_auc)}
          </Descriptions.Item>
        )}
      </Descriptions>
      <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
        {t('risk.report.scaling', {
          base: data.scaling.base_score,
          odds: data.scaling.base_odds,
          pdo: fixed(data.scaling.pdo, 1),
        })}
      </Typography.Paragraph>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('risk.report.roc')}>
            <Chart option={charts.roc} label={t('risk.report.rocLabel')} />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('risk.report.ksCurve')}>
            <Chart option={charts.ks} label={t('risk.report.ksLabel')} />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('risk.report.distribution')}>
            <Chart option={charts.distribution} label={t('risk.report.distributionLabel')} />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('risk.report.calibration')}>
            <Chart option={charts.calibration} label={t('risk.report.calibrationLabel')} />
          </Card>
        </Col>
      </Row>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('risk.report.scorecard')}
      </Typography.Title>
      <Table<ScorecardRow>
        aria-label={t('risk.report.scorecard')}
        size="small"
        bordered
        rowKey="key"
        dataSource={scorecard}
        pagination={false}
        columns={[
          {
            title: t('risk.report.feature'),
            key: 'feature',
            onCell: featureCell,
            render: (_v, row) => (
              <span>
                <strong>{row.feature}</strong>
                <br />
                IV {fixed(row.featureIv)} · {t('risk.report.coefficient')} {fixed(row.coefficient)}
              </span>
            ),
          },
          { title: t('risk.report.bin'), dataIndex: 'label', key: 'label' },
          { title: t('risk.report.count'), dataIndex: 'count', key: 'count', align: 'right' },
          {
            title: t('risk.report.eventRate'),
            key: 'event_rate',
            align: 'right',
            render: (_v, row) => `${(row.event_rate * 100).toFixed(1)}%`,
          },
          { title: 'WoE', key: 'woe', align: 'right', render: (_v, row) => fixed(row.woe) },
          { title: 'IV', key: 'iv', align: 'right', render: (_v, row) => fixed(row.iv) },
          {
            title: t('risk.report.points'),
            key: 'points',
            align: 'right',
            render: (_v, row) => fixed(row.points, 1),
          },
        ]}
      />
      {data.dropped.length > 0 && (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('risk.report.dropped')}
          </Typography.Title>
          <Table
            aria-label={t('risk.report.dropped')}
            size="small"
            rowKey="name"
            dataSource={data.dropped}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={[
              { title: t('risk.report.feature'), dataIndex: 'name', key: 'name' },
              { title: 'IV', key: 'iv', render: (_v, row) => fixed(row.iv) },
              { title: t('risk.report.reason'), key: 'reason', render: (_v, row) => row.reason ?? row.code },
            ]}
          />
        </>
      )}
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('risk.report.monitoring')}
      </Typography.Title>
      {data.alerts.map((alert) => (
        <Alert
          key={`${alert.month}|${alert.kind}`}
          type="warning"
          showIcon
          style={{ marginBottom: 8 }}
          message={`${t('risk.report.alerts')} ${alert.month}: ${alert.message}`}
        />
      ))}
      {data.monitoring.length === 0 ? (
        <Empty description={t('risk.report.noMonitoring')} />
      ) : (
        <>
          <Chart option={charts.monitoring} label={t('risk.report.monitoringLabel')} />
          <Table
            aria-label={t('risk.report.monitoring')}
            size="small"
            rowKey="month"
            dataSource={data.monitoring}
            pagination={false}
            columns={[
              { title: t('risk.report.month'), dataIndex: 'month', key: 'month' },
              { title: t('risk.report.accounts'), dataIndex: 'accounts', key: 'accounts', align: 'right' },
              { title: 'AUC', key: 'auc', render: (_v, m) => fixed(m.auc) },
              { title: 'KS', key: 'ks', render: (_v, m) => fixed(m.ks) },
              { title: 'PSI', key: 'psi', render: (_v, m) => fixed(m.psi) },
            ]}
          />
        </>
      )}
    </section>
  );
}
