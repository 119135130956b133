import { Table, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { formatInstant } from '../../format.ts';
import { useApi } from '../../hooks.ts';

interface Move {
  id: number;
  kind: 'allocated' | 'reassigned';
  from_agent: string | null;
  to_agent: string | null;
  reason: string | null;
  by: string;
  at: string;
}

/** The account's allocation (分案) and reassignment (调案) history, newest first (GET /accounts/:id/assignments). */
export function AssignmentHistoryTab({ accountId }: { accountId: string }) {
  const { t } = useTranslation();
  const { data, error, loading } = useApi<{ items: Move[] }>(`/accounts/${accountId}/assignments`);
  return (
    <>
      <ErrorAlert error={error} />
      <Table<Move>
        size="small"
        rowKey="id"
        aria-label={t('allocation.history')}
        loading={loading}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        dataSource={data?.items ?? []}
        locale={{ emptyText: t('allocation.historyEmpty') }}
        columns={[
          {
            title: t('allocation.at'),
            dataIndex: 'at',
            key: 'at',
            render: (value: string) => formatInstant(value),
          },
          {
            title: t('allocation.kind'),
            dataIndex: 'kind',
            key: 'kind',
            render: (kind: Move['kind']) => <Tag>{t(`allocation.kinds.${kind}`)}</Tag>,
          },
          {
            title: t('allocation.fromAgent'),
            dataIndex: 'from_agent',
            key: 'from',
            render: (v: string | null) => v ?? '—',
          },
          {
            title: t('allocation.toAgent'),
            dataIndex: 'to_agent',
            key: 'to',
            render: (v: string | null) => v ?? '—',
          },
          {
            title: t('allocation.reason'),
            dataIndex: 'reason',
            key: 'reason',
            render: (v: string | null) => v ?? '',
          },
          { title: t('common.by'), dataIndex: 'by', key: 'by' },
        ]}
      />
    </>
  );
}
