import { App, Button, Drawer, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText, itemsOf } from '../api.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { useApi } from '../hooks.ts';
import type { Client, Team } from '../types.ts';

export default function Teams() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [refreshKey, setRefreshKey] = useState(0);
  const { data, error, loading } = useApi<unknown>('/teams', { page: 1, page_size: 200 }, refreshKey);
  const clients = useApi<unknown>('/clients', { page: 1, page_size: 200 });
  const [open, setOpen] = useState(false);
  /** The team being edited; null while adding a new one. */
  const [editing, setEditing] = useState<Team | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ name: string; client_codes: string[] }>();

  return (
    <section aria-labelledby="teams-title">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }}>
        <Typography.Title id="teams-title" level={4} style={{ margin: 0 }}>
          {t('teams.title')}
        </Typography.Title>
        <Button
          type="primary"
          onClick={() => {
            setEditing(null);
            form.resetFields();
            setOpen(true);
          }}
        >
          {t('teams.add')}
        </Button>
      </Space>
      <Typography.Paragraph type="secondary">{t('teams.explain')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <Table<Team>
        aria-label={t('teams.title')}
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={itemsOf<Team>(data)}
        locale={{ emptyText: t('teams.empty') }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          { title: t('teams.name'), dataIndex: 'name', key: 'name' },
          {
            title: t('teams.clients'),
            dataIndex: 'client_codes',
            key: 'client_codes',
            render: (codes: string[] | undefined) =>
              (codes ?? []).map((code) => <Tag key={code}>{code}</Tag>),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 100,
            render: (_v, team) => (
              <Button
                size="small"
                aria-label={`${t('teams.edit')} ${team.name}`}
                onClick={() => {
                  setEditing(team);
                  form.setFieldsValue({ name: team.name, client_codes: team.client_codes ?? [] });
                  setOpen(true);
                }}
              >
                {t('common.edit')}
              </Button>
            ),
          },
        ]}
      />
      <Drawer
        open={open}
        onClose={() => setOpen(false)}
        title={editing ? t('teams.edit') : t('teams.add')}
        size={420}
        forceRender
      >
        <Form
          form={form}
          layout="vertical"
          onFinish={async (values) => {
            setBusy(true);
            try {
              const body = { name: values.name.trim(), client_codes: values.client_codes ?? [] };
              if (editing) {
                await api.patch(`/teams/${editing.id}`, body);
                message.success(t('teams.saved'));
              } else {
                await api.post('/teams', body);
                message.success(t('teams.added'));
              }
              form.resetFields();
              setOpen(false);
              setRefreshKey((value) => value + 1);
            } catch (caught) {
              message.error(errorText(caught));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item
            name="name"
            label={t('teams.name')}
            rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
          >
            <Input aria-label={t('teams.name')} />
          </Form.Item>
          <Form.Item name="client_codes" label={t('teams.clients')}>
            <Select
              mode="multiple"
              aria-label={t('teams.clients')}
              options={itemsOf<Client>(clients.data).map((client) => ({
                value: client.code,
                label: `${client.name} (${client.code})`,
              }))}
            />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} block>
            {t('common.save')}
          </Button>
        </Form>
      </Drawer>
    </section>
  );
}
