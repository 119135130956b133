import { App, Button, Card, Empty, Space, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../../api.ts';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { Money } from '../../components/Money.tsx';
import { minorToChartNumber } from '../../money.ts';
import type { Preview } from './types.ts';

/** The next allocation's preview as before/after bars per agent, the waits by reason, and "run now". */
export function PreviewCard({ teamId, onRun }: { teamId: number; onRun: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [preview, setPreview] = useState<Preview | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    setBusy(true);
    try {
      setPreview(await api.post<Preview>('/allocation/preview', { team_id: teamId }));
    } catch (caught) {
      message.error(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  const option = useMemo<ChartOption | null>(() => {
    if (!preview || preview.agents.length === 0) return null;
    const names = preview.agents.map((agent) => agent.agent);
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 60, right: 60, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: names },
      yAxis: [
        { type: 'value', name: t('allocation.accounts') },
        { type: 'value', name: t('allocation.balance') },
      ],
      series: [
        {
          name: t('allocation.accountsBefore'),
          type: 'bar',
          data: preview.agents.map((a) => a.accounts_before),
        },
        {
          name: t('allocation.accountsAfter'),
          type: 'bar',
          data: preview.agents.map((a) => a.accounts_after),
        },
        {
          name: t('allocation.balanceBefore'),
          type: 'bar',
          yAxisIndex: 1,
          data: preview.agents.map((a) => minorToChartNumber(a.balance_before_minor, 'CNY')),
        },
        {
          name: t('allocation.balanceAfter'),
          type: 'bar',
          yAxisIndex: 1,
          data: preview.agents.map((a) => minorToChartNumber(a.balance_after_minor, 'CNY')),
        },
      ],
    };
  }, [preview, t]);

  return (
    <Card
      size="small"
      title={t('allocation.preview')}
      extra={
        <Space>
          <Button onClick={load} loading={busy}>
            {t('allocation.showPreview')}
          </Button>
          <Button
            type="primary"
            loading={busy}
            onClick={async () => {
              setBusy(true);
              try {
                const result = await api.post<{ assigned: number; waiting: number }>('/allocation/run', {
                  team_id: teamId,
                });
                message.success(t('allocation.ran', result));
                setPreview(null);
                onRun();
              } catch (caught) {
                message.error(errorText(caught));
              } finally {
                setBusy(false);
              }
            }}
          >
            {t('allocation.runNow')}
          </Button>
        </Space>
      }
    >
      {preview === null ? (
        <Typography.Text type="secondary">{t('allocation.previewHint')}</Typography.Text>
      ) : (
        <>
          <Typography.Paragraph data-testid="preview-summary">
            {t('allocation.previewSummary', { assigned: preview.assigned, waiting: preview.waiting })}{' '}
            {Object.entries(preview.waiting_by_reason).map(([reason, count]) => (
              <Tag key={reason} color="orange">
                {t(`allocation.reasons.${reason as 'cap'}`)}: {count}
              </Tag>
            ))}
          </Typography.Paragraph>
          {option ? <Chart option={option} label={t('allocation.previewChart')} /> : <Empty />}
          <Table
            size="small"
            rowKey="agent"
            aria-label={t('allocation.preview')}
            pagination={false}
            dataSource={preview.agents}
            columns={[
              { title: t('allocation.agent'), dataIndex: 'agent', key: 'agent' },
              {
                title: t('allocation.accounts'),
                key: 'accounts',
                render: (_v, row) => `${row.accounts_before} → ${row.accounts_after}`,
              },
              {
                title: t('allocation.balance'),
                key: 'balance',
                render: (_v, row) => (
                  <Space size={4} style={{ whiteSpace: 'nowrap' }}>
                    <Money value={row.balance_before_minor} />→<Money value={row.balance_after_minor} />
                  </Space>
                ),
              },
            ]}
          />
        </>
      )}
    </Card>
  );
}
