import { App, Button, Input, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, errorText } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Money } from '../components/Money.tsx';
import { useApi } from '../hooks.ts';

interface QueueItem {
  account_id: number | string;
  ref: string;
  debtor_name: string;
  currency: string;
  balance_minor: number | string;
  tier: 'promise_due' | 'callback_due' | 'broken' | 'instalment_due' | 'treatment_due' | 'new' | 'balance';
  due: string | null;
  /** the champion's latest score band and expected value (probability of payment × balance) */
  score_band: number | null;
  expected_minor: number | string | null;
}

const tierColor: Record<QueueItem['tier'], string> = {
  promise_due: 'red',
  callback_due: 'orange',
  broken: 'volcano',
  instalment_due: 'gold',
  treatment_due: 'purple',
  new: 'blue',
  balance: 'default',
};

/**
 * The agent's work queue (工作队列): their accounts in the order to work them, and the next one a
 * key away (N). Supervisors look at any agent's queue.
 */
export default function Queue() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { user } = useAuth();
  const lead = (user?.roles ?? []).some((role) => role === 'supervisor' || role === 'admin');
  const [agent, setAgent] = useState<string | undefined>(undefined);
  const { data, error, loading } = useApi<{ agent: string; items: QueueItem[] }>(
    '/worklist/queue',
    agent ? { agent } : undefined,
  );

  const next = useCallback(async () => {
    try {
      const answer = await api.get<{ item: QueueItem | null }>('/worklist/queue/next');
      if (answer.item) navigate(`/accounts/${answer.item.account_id}`);
      else message.info(t('queue.empty'));
    } catch (caught) {
      message.error(errorText(caught));
    }
  }, [navigate, message, t]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      const typing =
        target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.isContentEditable);
      if (!typing && !event.ctrlKey && !event.metaKey && !event.altKey && event.key.toLowerCase() === 'n') {
        event.preventDefault();
        void next();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [next]);

  return (
    <section aria-labelledby="queue-title">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Typography.Title id="queue-title" level={4} style={{ margin: 0 }}>
          {t('queue.title')}
        </Typography.Title>
        <Space>
          {lead && (
            <Input.Search
              aria-label={t('queue.agent')}
              placeholder={t('queue.agent')}
              allowClear
              onSearch={(value) => setAgent(value.trim() === '' ? undefined : value.trim())}
              style={{ width: 220 }}
            />
          )}
          <Button type="primary" onClick={() => void next()} aria-keyshortcuts="N">
            {t('queue.next')}
          </Button>
        </Space>
      </Space>
      <Typography.Paragraph type="secondary">{t('queue.explain')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <Table<QueueItem>
        aria-label={t('queue.title')}
        size="small"
        rowKey={(row) => String(row.account_id)}
        loading={loading}
        dataSource={data?.items ?? []}
        locale={{ emptyText: t('queue.empty') }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        onRow={(row) => ({
          onClick: () => navigate(`/accounts/${row.account_id}`),
          style: { cursor: 'pointer' },
        })}
        columns={[
          {
            title: t('queue.why'),
            dataIndex: 'tier',
            key: 'tier',
            width: 150,
            render: (tier: QueueItem['tier']) => (
              <Tag color={tierColor[tier]}>{t(`queue.tiers.${tier}`)}</Tag>
            ),
          },
          { title: t('queue.ref'), dataIndex: 'ref', key: 'ref' },
          { title: t('queue.debtor'), dataIndex: 'debtor_name', key: 'debtor_name' },
          {
            title: t('queue.balance'),
            key: 'balance',
            align: 'right',
            render: (_value, row) => <Money value={row.balance_minor} currency={row.currency} />,
          },
          {
            title: t('risk.queue.band'),
            key: 'score_band',
            align: 'right',
            render: (_value, row) =>
              row.score_band === null ? (
                <Typography.Text type="secondary">{t('risk.queue.unscored')}</Typography.Text>
              ) : (
                row.score_band
              ),
          },
          {
            title: t('risk.queue.expected'),
            key: 'expected',
            align: 'right',
            render: (_value, row) =>
              row.expected_minor === null ? (
                '—'
              ) : (
                <Money value={row.expected_minor} currency={row.currency} />
              ),
          },
          { title: t('queue.due'), dataIndex: 'due', key: 'due', render: (due: string | null) => due ?? '—' },
        ]}
      />
    </section>
  );
}
