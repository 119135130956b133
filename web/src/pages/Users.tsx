import { Alert, App, Button, Drawer, Form, Input, Select, Space, Switch, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText, itemsOf } from '../api.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { amountRules, MoneyInput } from '../components/MoneyInput.tsx';
import { ServerTable } from '../components/ServerTable.tsx';
import { useApi } from '../hooks.ts';
import { formatMinor, parseAmountToMinor } from '../money.ts';
import { roles, type Team, type User } from '../types.ts';

interface AddValues {
  username: string;
  display_name: string;
  roles: string[];
  team_id?: string;
  client_codes?: string[];
}

interface EditValues {
  roles: string[];
  team_id?: string | null;
  active: boolean;
  approval_limit?: string;
}

function isLocked(user: User): boolean {
  return !!user.locked_until && new Date(user.locked_until).getTime() > Date.now();
}

function numeric(id: string | number | null | undefined): number | string | null {
  if (id === null || id === undefined || id === '') return null;
  return /^\d+$/.test(String(id)) ? Number(id) : id;
}

function TeamSelect({ value, onChange }: { value?: string; onChange?: (value: string | undefined) => void }) {
  const { t } = useTranslation();
  const { data } = useApi<unknown>('/teams', { page: 1, page_size: 200 });
  return (
    <Select
      allowClear
      aria-label={t('users.team')}
      value={value}
      onChange={(next) => onChange?.(next ?? undefined)}
      options={itemsOf<Team>(data).map((team) => ({ value: String(team.id), label: team.name }))}
    />
  );
}

export default function Users() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [refreshKey, setRefreshKey] = useState(0);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [secret, setSecret] = useState<{ username: string; password: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [addForm] = Form.useForm<AddValues>();
  const [editForm] = Form.useForm<EditValues>();
  const teams = useApi<unknown>('/teams', { page: 1, page_size: 200 }, refreshKey);
  const teamName = (id: User['team_id']) =>
    itemsOf<Team>(teams.data).find((team) => String(team.id) === String(id))?.name ?? (id ? `#${id}` : '—');
  const roleOptions = roles.map((role) => ({ value: role, label: t(`roles.${role}`) }));
  const addRoles = Form.useWatch('roles', addForm) ?? [];

  return (
    <section aria-labelledby="users-title">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }}>
        <Typography.Title id="users-title" level={4} style={{ margin: 0 }}>
          {t('users.title')}
        </Typography.Title>
        <Button type="primary" onClick={() => setAdding(true)}>
          {t('users.add')}
        </Button>
      </Space>
      {secret && (
        <Alert
          type="warning"
          showIcon
          closable={{ onClose: () => setSecret(null) }}
          style={{ marginBottom: 16 }}
          title={t('users.generatedPassword', { user: secret.username })}
          description={
            <Typography.Text code copyable>
              {secret.password}
            </Typography.Text>
          }
        />
      )}
      <ErrorAlert error={teams.error} />
      <ServerTable<User>
        path="/users"
        label={t('users.title')}
        rowKey="id"
        reloadKey={refreshKey}
        columns={[
          { title: t('users.username'), dataIndex: 'username', key: 'username' },
          { title: t('users.displayName'), dataIndex: 'display_name', key: 'display_name' },
          {
            title: t('users.roles'),
            dataIndex: 'roles',
            key: 'roles',
            render: (list: string[]) =>
              list.map((role) => <Tag key={role}>{t(`roles.${role}` as 'roles.admin')}</Tag>),
          },
          { title: t('users.team'), key: 'team', render: (_v, user) => teamName(user.team_id) },
          {
            title: t('users.clients'),
            key: 'clients',
            render: (_v, user) =>
              user.client_codes === 'all' ? t('users.allClients') : user.client_codes.join(', ') || '—',
          },
          {
            title: t('users.approvalLimit'),
            key: 'limit',
            align: 'right',
            render: (_v, user) => <span className="hk-money">{formatMinor(user.approval_limit_minor)}</span>,
          },
          {
            title: t('common.status'),
            key: 'active',
            render: (_v, user) => (
              <Space size={4}>
                {user.active === false ? (
                  <Tag>{t('users.inactive')}</Tag>
                ) : (
                  <Tag color="green">{t('users.active')}</Tag>
                )}
                {isLocked(user) && <Tag color="red">{t('users.locked')}</Tag>}
                {user.must_change_password && <Tag color="gold">{t('users.mustChange')}</Tag>}
              </Space>
            ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_v, user) => (
              <Space>
                <Button
                  size="small"
                  onClick={() => {
                    setEditing(user);
                    editForm.setFieldsValue({
                      roles: user.roles,
                      team_id: user.team_id === null ? undefined : String(user.team_id),
                      active: user.active !== false,
                      approval_limit: undefined,
                    });
                  }}
                >
                  {t('common.edit')}
                </Button>
                {isLocked(user) && (
                  <Button
                    size="small"
                    onClick={async () => {
                      try {
                        await api.patch(`/users/${user.id}`, { unlock: true });
                        message.success(t('users.unlocked'));
                        setRefreshKey((value) => value + 1);
                      } catch (caught) {
                        message.error(errorText(caught));
                      }
                    }}
                  >
                    {t('users.unlock')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Drawer
        open={adding}
        onClose={() => setAdding(false)}
        title={t('users.add')}
        size={480}
        destroyOnHidden
      >
        <Form<AddValues>
          form={addForm}
          layout="vertical"
          onFinish={async (values) => {
            setBusy(true);
            try {
              const created = await api.post<User & { password?: string; generated_password?: string }>(
                '/users',
                {
                  username: values.username.trim(),
                  display_name: values.display_name.trim(),
                  roles: values.roles,
                  ...(values.team_id ? { team_id: numeric(values.team_id) } : {}),
                  ...(values.client_codes?.length ? { client_codes: values.client_codes } : {}),
                },
              );
              const password = created.password ?? created.generated_password;
              if (password) setSecret({ username: created.username, password });
              message.success(t('users.added'));
              addForm.resetFields();
              setAdding(false);
              setRefreshKey((value) => value + 1);
            } catch (caught) {
              message.error(errorText(caught));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item
            name="username"
            label={t('users.username')}
            rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
          >
            <Input aria-label={t('users.username')} autoComplete="off" />
          </Form.Item>
          <Form.Item
            name="display_name"
            label={t('users.displayName')}
            rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
          >
            <Input aria-label={t('users.displayName')} />
          </Form.Item>
          <Form.Item
            name="roles"
            label={t('users.roles')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <Select mode="multiple" aria-label={t('users.roles')} options={roleOptions} />
          </Form.Item>
          <Form.Item name="team_id" label={t('users.team')}>
            <TeamSelect />
          </Form.Item>
          {addRoles.includes('client') && (
            <Form.Item
              name="client_codes"
              label={t('users.clients')}
              rules={[{ required: true, message: t('validation.required') }]}
            >
              <ClientCodes />
            </Form.Item>
          )}
          <Typography.Paragraph type="secondary">{t('users.passwordExplain')}</Typography.Paragraph>
          <Button type="primary" htmlType="submit" loading={busy} block>
            {t('common.save')}
          </Button>
        </Form>
      </Drawer>
      <Drawer
        open={editing !== null}
        onClose={() => setEditing(null)}
        title={t('users.edit', { user: editing?.username ?? '' })}
        size={480}
        destroyOnHidden
      >
        <Form<EditValues>
          form={editForm}
          layout="vertical"
          onFinish={async (values) => {
            if (!editing) return;
            setBusy(true);
            try {
              const limit = values.approval_limit ? parseAmountToMinor(values.approval_limit) : null;
              await api.patch(`/users/${editing.id}`, {
                roles: values.roles,
                team_id: numeric(values.team_id ?? null),
                active: values.active,
                ...(limit !== null ? { approval_limit_minor: Number(limit) } : {}),
              });
              message.success(t('users.saved'));
              setEditing(null);
              setRefreshKey((value) => value + 1);
            } catch (caught) {
              message.error(errorText(caught));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item
            name="roles"
            label={t('users.roles')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <Select mode="multiple" aria-label={t('users.roles')} options={roleOptions} />
          </Form.Item>
          <Form.Item name="team_id" label={t('users.team')}>
            <TeamSelect />
          </Form.Item>
          <Form.Item
            name="approval_limit"
            label={t('users.approvalLimit')}
            extra={t('users.approvalLimitHelp', { current: formatMinor(editing?.approval_limit_minor) })}
            rules={amountRules(t, 'CNY', true).slice(1)}
          >
            <MoneyInput label={t('users.approvalLimit')} currency="CNY" />
          </Form.Item>
          <Form.Item name="active" label={t('users.active')} valuePropName="checked">
            <Switch aria-label={t('users.active')} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} block>
            {t('common.save')}
          </Button>
        </Form>
      </Drawer>
    </section>
  );
}

function ClientCodes({ value, onChange }: { value?: string[]; onChange?: (value: string[]) => void }) {
  const { t } = useTranslation();
  const { data } = useApi<unknown>('/clients', { page: 1, page_size: 200 });
  return (
    <Select
      mode="multiple"
      aria-label={t('users.clients')}
      value={value}
      onChange={onChange}
      options={itemsOf<{ code: string; name: string }>(data).map((client) => ({
        value: client.code,
        label: `${client.name} (${client.code})`,
      }))}
    />
  );
}
