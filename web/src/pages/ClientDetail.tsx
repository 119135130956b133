import { App, Button, Card, Descriptions, Drawer, Form, Space, Spin, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, errorText } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { BalancesTable } from '../components/BalancesTable.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { formatDate } from '../format.ts';
import { useApi } from '../hooks.ts';
import type { Client, Contract } from '../types.ts';
import { ContractFields, type ContractValues, contractBody, formatBands } from './ContractForm.tsx';

function percent(bp: number | undefined): string {
  if (bp === undefined) return '—';
  return `${(bp / 100).toFixed(2)}%`;
}

export default function ClientDetail() {
  const { t } = useTranslation();
  const { code = '' } = useParams();
  const { hasRole } = useAuth();
  const { message } = App.useApp();
  const [refreshKey, setRefreshKey] = useState(0);
  const {
    data: client,
    error,
    loading,
  } = useApi<Client>(`/clients/${encodeURIComponent(code)}`, undefined, refreshKey);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<ContractValues>();

  if (loading && !client) return <Spin style={{ display: 'block', margin: '80px auto' }} />;
  if (error || !client) return <ErrorAlert error={error ?? new Error(t('errors.not_found'))} />;
  const versions = [...(client.contracts ?? (client.contract ? [client.contract] : []))].sort(
    (a, b) => b.version - a.version,
  );
  const latest = versions[0];

  return (
    <section aria-labelledby="client-title">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }}>
        <Space align="center">
          <Link to="/clients">{t('common.back')}</Link>
          <Typography.Title id="client-title" level={4} style={{ margin: 0 }}>
            {client.name} ({client.code})
          </Typography.Title>
        </Space>
        {hasRole('admin') && (
          <Button
            type="primary"
            onClick={() => {
              form.setFieldsValue({
                jurisdiction: latest?.jurisdiction ?? 'CN',
                waterfall: latest?.waterfall ?? [],
                commission: formatBands(latest?.commission),
                netting: latest?.netting ?? false,
                discount_limit_bp: latest?.discount_limit_bp ?? 0,
                accrual_allowed: latest?.accrual_allowed ?? false,
              });
              setOpen(true);
            }}
          >
            {t('contracts.newVersion')}
          </Button>
        )}
      </Space>
      <Card size="small" title={t('contracts.versions')}>
        <Table<Contract>
          aria-label={t('contracts.versions')}
          size="small"
          rowKey="version"
          dataSource={versions}
          pagination={false}
          scroll={{ x: 'max-content' }}
          columns={[
            {
              title: t('contracts.version'),
              dataIndex: 'version',
              key: 'version',
              render: (version: number) => (
                <Space>
                  v{version}
                  {version === latest?.version && <Tag color="green">{t('contracts.latest')}</Tag>}
                </Space>
              ),
            },
            {
              title: t('contracts.effectiveFrom'),
              dataIndex: 'effective_from',
              key: 'effective_from',
              render: formatDate,
            },
            { title: t('contracts.currency'), dataIndex: 'currency', key: 'currency' },
            { title: t('contracts.jurisdiction'), dataIndex: 'jurisdiction', key: 'jurisdiction' },
            {
              title: t('contracts.waterfall'),
              dataIndex: 'waterfall',
              key: 'waterfall',
              render: (list: string[]) =>
                list.map((c) => t(`components.${c}` as 'components.principal')).join(' → '),
            },
            {
              title: t('contracts.commission'),
              key: 'commission',
              render: (_v, c) => formatBands(c.commission),
            },
            {
              title: t('contracts.discountLimit'),
              key: 'discount',
              align: 'right',
              render: (_v, c) => percent(c.discount_limit_bp),
            },
            {
              title: t('contracts.netting'),
              key: 'netting',
              render: (_v, c) => (c.netting ? t('common.yes') : t('common.no')),
            },
            {
              title: t('contracts.accrual'),
              key: 'accrual',
              render: (_v, c) => (c.accrual_allowed ? t('common.yes') : t('common.no')),
            },
          ]}
        />
        {latest && (
          <Descriptions size="small" style={{ marginTop: 12 }} column={1}>
            <Descriptions.Item label={t('contracts.commissionHelpShort')}>
              {t('contracts.commissionHelp')}
            </Descriptions.Item>
          </Descriptions>
        )}
      </Card>
      <div style={{ marginTop: 16 }}>
        <BalancesTable client={client.code} />
      </div>
      <Drawer
        open={open}
        onClose={() => setOpen(false)}
        title={t('contracts.newVersion')}
        size={520}
        destroyOnHidden
      >
        <Form
          form={form}
          layout="vertical"
          onFinish={async (values) => {
            setBusy(true);
            try {
              await api.post(`/clients/${encodeURIComponent(client.code)}/contracts`, contractBody(values));
              message.success(t('contracts.added'));
              setOpen(false);
              setRefreshKey((value) => value + 1);
            } catch (caught) {
              message.error(errorText(caught));
            } finally {
              setBusy(false);
            }
          }}
        >
          <ContractFields withEffectiveDate withCurrency={false} />
          <Button type="primary" htmlType="submit" loading={busy} block>
            {t('common.save')}
          </Button>
        </Form>
      </Drawer>
    </section>
  );
}
