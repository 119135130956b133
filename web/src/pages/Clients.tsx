import { App, Button, Drawer, Form, Input, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, errorText, itemsOf } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { formatDate } from '../format.ts';
import { useApi } from '../hooks.ts';
import type { Client } from '../types.ts';
import { ContractFields, type ContractValues, contractBody } from './ContractForm.tsx';

export default function Clients() {
  const { t } = useTranslation();
  const { hasRole } = useAuth();
  const { message } = App.useApp();
  const [refreshKey, setRefreshKey] = useState(0);
  const { data, error, loading } = useApi<unknown>('/clients', { page: 1, page_size: 200 }, refreshKey);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<ContractValues & { code: string; name: string }>();
  const clients = itemsOf<Client>(data);

  return (
    <section aria-labelledby="clients-title">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }}>
        <Typography.Title id="clients-title" level={4} style={{ margin: 0 }}>
          {t('clients.title')}
        </Typography.Title>
        {hasRole('admin') && (
          <Button type="primary" onClick={() => setOpen(true)}>
            {t('clients.add')}
          </Button>
        )}
      </Space>
      <ErrorAlert error={error} />
      <Table<Client>
        aria-label={t('clients.title')}
        size="small"
        rowKey="code"
        loading={loading}
        dataSource={clients}
        locale={{ emptyText: t('clients.empty') }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          {
            title: t('clients.code'),
            dataIndex: 'code',
            key: 'code',
            render: (code: string) => <Link to={`/clients/${code}`}>{code}</Link>,
          },
          { title: t('clients.name'), dataIndex: 'name', key: 'name' },
          { title: t('contracts.currency'), key: 'currency', render: (_v, c) => c.contract?.currency ?? '—' },
          {
            title: t('contracts.jurisdiction'),
            key: 'jurisdiction',
            render: (_v, c) => c.contract?.jurisdiction ?? '—',
          },
          {
            title: t('contracts.version'),
            key: 'version',
            align: 'right',
            render: (_v, c) => c.contract?.version ?? '—',
          },
          {
            title: t('contracts.effectiveFrom'),
            key: 'effective',
            render: (_v, c) => formatDate(c.contract?.effective_from),
          },
        ]}
      />
      <Drawer open={open} onClose={() => setOpen(false)} title={t('clients.add')} size={520} destroyOnHidden>
        <Form
          form={form}
          layout="vertical"
          initialValues={{
            currency: 'CNY',
            jurisdiction: 'CN',
            waterfall: ['penalty', 'fees', 'interest', 'principal'],
            netting: false,
            accrual_allowed: false,
          }}
          onFinish={async (values) => {
            setBusy(true);
            try {
              await api.post('/clients', {
                code: values.code.trim(),
                name: values.name.trim(),
                ...contractBody(values),
              });
              message.success(t('clients.added'));
              setOpen(false);
              form.resetFields();
              setRefreshKey((value) => value + 1);
            } catch (caught) {
              message.error(errorText(caught));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item
            name="code"
            label={t('clients.code')}
            rules={[{ required: true, pattern: /^[A-Za-z0-9_-]{2,32}$/, message: t('clients.codeRule') }]}
          >
            <Input aria-label={t('clients.code')} />
          </Form.Item>
          <Form.Item
            name="name"
            label={t('clients.name')}
            rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
          >
            <Input aria-label={t('clients.name')} />
          </Form.Item>
          <ContractFields withEffectiveDate={false} />
          <Button type="primary" htmlType="submit" loading={busy} block>
            {t('common.save')}
          </Button>
        </Form>
      </Drawer>
    </section>
  );
}
