import { App, Button, Input, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, errorText, itemsOf } from '../api.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { formatDate } from '../format.ts';
import { useApi } from '../hooks.ts';
import { ModelReport } from './risk/ModelReport.tsx';

interface Model {
  id: number;
  name: string;
  version: number;
  client_id: number | null;
  status: string;
  owner: string;
  validation: { auc: number | null; ks: number | null; psi: number | null };
  features: string[];
  proposed_by: string;
  approved_by: string | null;
  promoted_at: string | null;
}

interface WatchEntry {
  id: number;
  account_id: number;
  rule: string;
  detail: string;
  first_seen: string;
  last_seen: string;
  status: 'open' | 'acknowledged' | 'actioned';
  actioned_by: string | null;
  action_note: string | null;
}

const statusColor: Record<string, string> = {
  proposed: 'gold',
  approved: 'blue',
  champion: 'green',
  challenger: 'purple',
  retired: 'default',
};

/** Risk (风险): the model registry with, for the model picked, its validation report and monitoring; the risk watch list to act on. */
export default function Risk() {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="risk-title">
      <Typography.Title id="risk-title" level={4}>
        {t('risk.title')}
      </Typography.Title>
      <Tabs
        items={[
          { key: 'watch', label: t('risk.watch.tab'), children: <Watch /> },
          { key: 'models', label: t('risk.models.tab'), children: <Models /> },
        ]}
      />
    </section>
  );
}

function Models() {
  const { t } = useTranslation();
  const { data, error, loading } = useApi<unknown>('/risk/models');
  const [selected, setSelected] = useState<number | null>(null);
  const figure = (value: number | null) => (value === null ? '—' : value.toFixed(3));
  return (
    <>
      <Typography.Paragraph type="secondary">{t('risk.models.explain')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <Table<Model>
        aria-label={t('risk.models.tab')}
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={itemsOf<Model>(data)}
        locale={{ emptyText: t('risk.models.empty') }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        rowSelection={{
          type: 'radio',
          selectedRowKeys: selected === null ? [] : [selected],
          onChange: (keys) => setSelected(keys[0] === undefined ? null : Number(keys[0])),
        }}
        onRow={(m) => ({ onClick: () => setSelected(m.id), style: { cursor: 'pointer' } })}
        columns={[
          { title: t('risk.models.name'), key: 'name', render: (_v, m) => `${m.name} v${m.version}` },
          {
            title: t('common.status'),
            dataIndex: 'status',
            key: 'status',
            render: (status: string) => (
              <Tag color={statusColor[status] ?? 'default'}>
                {t(`risk.models.status.${status as 'proposed'}`)}
              </Tag>
            ),
          },
          {
            title: t('risk.models.scope'),
            key: 'scope',
            render: (_v, m) => (m.client_id === null ? t('risk.models.agencyWide') : m.client_id),
          },
          { title: 'AUC', key: 'auc', render: (_v, m) => figure(m.validation.auc) },
          { title: 'KS', key: 'ks', render: (_v, m) => figure(m.validation.ks) },
          { title: 'PSI', key: 'psi', render: (_v, m) => figure(m.validation.psi) },
          { title: t('risk.models.features'), key: 'features', render: (_v, m) => m.features.length },
          { title: t('risk.models.owner'), dataIndex: 'owner', key: 'owner' },
          {
            title: t('risk.models.approvedBy'),
            dataIndex: 'approved_by',
            key: 'approved_by',
            render: (v: string | null) => v ?? '—',
          },
        ]}
      />
      {selected === null ? (
        <Typography.Paragraph type="secondary">{t('risk.report.pick')}</Typography.Paragraph>
      ) : (
        <ModelReport key={selected} modelId={selected} />
      )}
    </>
  );
}

function Watch() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [refreshKey, setRefreshKey] = useState(0);
  const [notes, setNotes] = useState<Record<number, string>>({});
  const { data, error, loading } = useApi<unknown>('/risk/watch', { status: 'unresolved' }, refreshKey);
  const act = async (entry: WatchEntry, kind: 'acknowledge' | 'action') => {
    try {
      if (kind === 'acknowledge') await api.post(`/risk/watch/${entry.id}/acknowledge`, {});
      else await api.post(`/risk/watch/${entry.id}/action`, { note: notes[entry.id] ?? '' });
      message.success(t(kind === 'acknowledge' ? 'risk.watch.acknowledged' : 'risk.watch.actioned'));
      setRefreshKey((value) => value + 1);
    } catch (caught) {
      message.error(errorText(caught));
    }
  };
  return (
    <>
      <Typography.Paragraph type="secondary">{t('risk.watch.explain')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <Table<WatchEntry>
        aria-label={t('risk.watch.tab')}
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={itemsOf<WatchEntry>(data)}
        locale={{ emptyText: t('risk.watch.empty') }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          {
            title: t('risk.watch.account'),
            dataIndex: 'account_id',
            key: 'account_id',
            render: (id: number) => <Link to={`/accounts/${id}`}>{id}</Link>,
          },
          {
            title: t('risk.watch.rule'),
            dataIndex: 'rule',
            key: 'rule',
            render: (rule: string) => <Tag color="red">{rule}</Tag>,
          },
          { title: t('risk.watch.detail'), dataIndex: 'detail', key: 'detail' },
          {
            title: t('risk.watch.firstSeen'),
            dataIndex: 'first_seen',
            key: 'first_seen',
            render: formatDate,
          },
          { title: t('risk.watch.lastSeen'), dataIndex: 'last_seen', key: 'last_seen', render: formatDate },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 320,
            render: (_v, entry) => (
              <Space>
                {entry.status === 'open' && (
                  <Button size="small" onClick={() => void act(entry, 'acknowledge')}>
                    {t('risk.watch.acknowledge')}
                  </Button>
                )}
                <Input
                  size="small"
                  aria-label={t('risk.watch.note')}
                  placeholder={t('risk.watch.note')}
                  value={notes[entry.id] ?? ''}
                  onChange={(event) => setNotes((all) => ({ ...all, [entry.id]: event.target.value }))}
                  style={{ width: 150 }}
                />
                <Button size="small" type="primary" onClick={() => void act(entry, 'action')}>
                  {t('risk.watch.action')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
    </>
  );
}
