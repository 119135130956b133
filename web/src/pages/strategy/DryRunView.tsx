/**
 * The dry run's answer: accounts per segment and arm (table and bar chart) and the steps that would
 * fall due on the run date per channel, template or task (table and bar chart).
 */
import { Card, Col, Row, Table, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { formatDate } from '../../format.ts';
import type { Problem, StrategyDocument } from './model.ts';
import { useWords } from './words.ts';

export interface DryRun {
  as_of: string;
  accounts: number;
  unsegmented: number;
  segments: Array<{ segment: string; arm: string; accounts: number }>;
  tomorrow: Array<{
    segment: string;
    arm: string;
    step: string;
    kind: string;
    channel: string | null;
    template: string | null;
    task: string | null;
    accounts: number;
  }>;
  warnings: Problem[];
}

export function DryRunView({ result, document }: { result: DryRun; document: StrategyDocument }) {
  const { t } = useTranslation();
  const words = useWords();
  const segmentName = (code: string) =>
    (Array.isArray(document.segments) ? document.segments : []).find((segment) => segment.code === code)
      ?.name ?? code;
  const what = (row: DryRun['tomorrow'][number]) =>
    row.kind === 'message'
      ? `${words(`channels.${row.channel ?? ''}`) ?? row.channel} · ${row.template ?? ''}`
      : (words(`tasks.${row.task ?? ''}`) ?? String(row.task));

  // biome-ignore lint/correctness/useExhaustiveDependencies: redrawn per result and language, not per keystroke
  const perArm = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 50, right: 20, top: 20, bottom: 60 },
      xAxis: {
        type: 'category',
        data: result.segments.map((row) => `${segmentName(row.segment)} / ${row.arm}`),
        axisLabel: { interval: 0, rotate: 20 },
      },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { type: 'bar', name: t('strategies.dryRun.count'), data: result.segments.map((row) => row.accounts) },
      ],
    }),
    [result, t],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: redrawn per result and language, not per keystroke
  const byAction = useMemo<ChartOption>(() => {
    const totals = new Map<string, number>();
    for (const row of result.tomorrow) totals.set(what(row), (totals.get(what(row)) ?? 0) + row.accounts);
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 50, right: 20, top: 20, bottom: 40 },
      xAxis: { type: 'category', data: [...totals.keys()] },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', name: t('strategies.dryRun.count'), data: [...totals.values()] }],
    };
  }, [result, t]);

  return (
    <Card
      size="small"
      title={t('strategies.dryRun.title', { date: formatDate(result.as_of) })}
      data-testid="dry-run"
    >
      <Typography.Paragraph data-testid="dry-run-accounts">
        {t('strategies.dryRun.accounts', { count: result.accounts, unsegmented: result.unsegmented })}
      </Typography.Paragraph>
      <Row gutter={16}>
        <Col xs={24} lg={12}>
          <Table
            aria-label={t('strategies.dryRun.perArm')}
            size="small"
            pagination={false}
            rowKey={(row) => `${row.segment}/${row.arm}`}
            dataSource={result.segments}
            columns={[
              {
                title: t('strategies.dryRun.segment'),
                dataIndex: 'segment',
                render: (code: string) => segmentName(code),
              },
              { title: t('strategies.dryRun.arm'), dataIndex: 'arm' },
              { title: t('strategies.dryRun.count'), dataIndex: 'accounts', align: 'right' },
            ]}
          />
        </Col>
        <Col xs={24} lg={12}>
          <Chart option={perArm} label={t('strategies.dryRun.perArm')} height={240} />
        </Col>
      </Row>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('strategies.dryRun.tomorrow')}
      </Typography.Title>
      <Row gutter={16}>
        <Col xs={24} lg={12}>
          <Table
            aria-label={t('strategies.dryRun.tomorrow')}
            size="small"
            pagination={false}
            locale={{ emptyText: t('strategies.dryRun.none') }}
            rowKey={(row) => `${row.segment}/${row.arm}/${row.step}`}
            dataSource={result.tomorrow}
            columns={[
              {
                title: t('strategies.dryRun.segment'),
                dataIndex: 'segment',
                render: (code: string) => segmentName(code),
              },
              { title: t('strategies.dryRun.arm'), dataIndex: 'arm' },
              { title: t('strategies.dryRun.step'), dataIndex: 'step' },
              { title: t('strategies.dryRun.what'), key: 'what', render: (_v, row) => what(row) },
              { title: t('strategies.dryRun.count'), dataIndex: 'accounts', align: 'right' },
            ]}
          />
        </Col>
        <Col xs={24} lg={12}>
          {result.tomorrow.length > 0 && (
            <Chart option={byAction} label={t('strategies.dryRun.byAction')} height={220} />
          )}
        </Col>
      </Row>
    </Card>
  );
}
