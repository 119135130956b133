import { Card, Table } from 'antd';
import { useTranslation } from 'react-i18next';
import { itemsOf } from '../api.ts';
import { useApi } from '../hooks.ts';
import type { BalanceRow } from '../types.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { Money } from './Money.tsx';

/** Balances by client and currency (GET /balances): a client user sees only its own. */
export function BalancesTable({ client }: { client?: string }) {
  const { t } = useTranslation();
  const { data, error, loading } = useApi<unknown>('/balances', { client });
  const rows = itemsOf<BalanceRow>(data);
  const money = (field: keyof BalanceRow) => ({
    title: t(`balances.${field}` as 'balances.total_minor'),
    dataIndex: field,
    key: field,
    align: 'right' as const,
    render: (value: BalanceRow['total_minor'], row: BalanceRow) => (
      <Money value={value} currency={row.currency} />
    ),
  });
  return (
    <Card title={t('balances.title')} size="small">
      <ErrorAlert error={error} />
      <Table<BalanceRow>
        aria-label={t('balances.title')}
        size="small"
        loading={loading}
        rowKey={(row) => `${row.client}-${row.currency ?? ''}`}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('balances.empty') }}
        columns={[
          { title: t('common.client'), dataIndex: 'client', key: 'client' },
          { title: t('balances.accounts'), dataIndex: 'accounts', key: 'accounts', align: 'right' },
          money('principal_minor'),
          money('interest_minor'),
          money('fees_minor'),
          money('penalty_minor'),
          money('total_minor'),
          money('collected_minor'),
        ]}
      />
    </Card>
  );
}
