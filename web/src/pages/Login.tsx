import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import type { TFunction } from 'i18next';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, errorText } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { LanguageSwitch } from '../components/AppLayout.tsx';

function loginError(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.code === 'unauthenticated') return t('login.badCredentials');
    if (error.code === 'forbidden' || error.status === 423 || /lock/i.test(error.serverMessage)) {
      return t('login.locked');
    }
    if (error.code === 'rate_limited') return t('errors.rate_limited');
  }
  return errorText(error);
}

function ChangePassword() {
  const { t } = useTranslation();
  const { refresh, logout, user } = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Card title={t('login.changeTitle')} style={{ width: 420 }}>
      <Typography.Paragraph>{t('login.changeExplain', { user: user?.username ?? '' })}</Typography.Paragraph>
      {error && <Alert type="error" showIcon role="alert" title={error} style={{ marginBottom: 16 }} />}
      <Form
        layout="vertical"
        requiredMark={false}
        onFinish={async (values: { current: string; next: string; confirm: string }) => {
          setBusy(true);
          setError(null);
          try {
            await api.post('/session/password', {
              current_password: values.current,
              new_password: values.next,
            });
            await refresh();
          } catch (caught) {
            setError(errorText(caught));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item
          name="current"
          label={t('login.currentPassword')}
          rules={[{ required: true, message: t('validation.required') }]}
        >
          <Input.Password autoComplete="current-password" autoFocus />
        </Form.Item>
        <Form.Item
          name="next"
          label={t('login.newPassword')}
          rules={[
            { required: true, message: t('validation.required') },
            { min: 10, message: t('login.passwordTooShort', { count: 10 }) },
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label={t('login.confirmPassword')}
          dependencies={['next']}
          rules={[
            { required: true, message: t('validation.required') },
            ({ getFieldValue }) => ({
              validator: (_rule, value) =>
                !value || getFieldValue('next') === value
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('login.passwordMismatch'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('login.changeSubmit')}
          </Button>
          <Button onClick={() => void logout()}>{t('header.logout')}</Button>
        </Space>
      </Form>
    </Card>
  );
}

export function LoginPage() {
  const { t } = useTranslation();
  const { user, login } = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  return (
    <main className="hk-login">
      <div style={{ position: 'absolute', top: 16, right: 16 }}>
        <LanguageSwitch />
      </div>
      {user?.must_change_password ? (
        <ChangePassword />
      ) : (
        <Card style={{ width: 380 }}>
          <Typography.Title level={3} style={{ marginTop: 0 }}>
            {t('app.name')}
          </Typography.Title>
          <Typography.Paragraph type="secondary">{t('login.subtitle')}</Typography.Paragraph>
          {error && <Alert type="error" showIcon role="alert" title={error} style={{ marginBottom: 16 }} />}
          <Form
            layout="vertical"
            requiredMark={false}
            onFinish={async (values: { username: string; password: string }) => {
              setBusy(true);
              setError(null);
              try {
                await login(values.username.trim(), values.password);
              } catch (caught) {
                setError(loginError(caught, t));
              } finally {
                setBusy(false);
              }
            }}
          >
            <Form.Item
              name="username"
              label={t('login.username')}
              rules={[{ required: true, message: t('validation.required') }]}
            >
              <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item
              name="password"
              label={t('login.password')}
              rules={[{ required: true, message: t('validation.required') }]}
            >
              <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>
              {t('login.submit')}
            </Button>
          </Form>
        </Card>
      )}
    </main>
  );
}
