import {
  AlertOutlined,
  ApartmentOutlined,
  AuditOutlined,
  BankOutlined,
  BranchesOutlined,
  CheckSquareOutlined,
  CloudUploadOutlined,
  DashboardOutlined,
  FileSearchOutlined,
  LineChartOutlined,
  LogoutOutlined,
  MoneyCollectOutlined,
  OrderedListOutlined,
  RollbackOutlined,
  SafetyCertificateOutlined,
  SolutionOutlined,
  TeamOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { Avatar, Button, Layout, Menu, type MenuProps, Select, Space, Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import { useAuth } from '../auth.tsx';
import { type Language, rememberLanguage } from '../i18n.ts';
import { areas, type MenuItem, menuItems } from '../menu.ts';
import { NotificationBell } from './NotificationBell.tsx';

const icons: Record<MenuItem['key'], ReactNode> = {
  home: <DashboardOutlined />,
  queue: <OrderedListOutlined />,
  risk: <AlertOutlined />,
  accounts: <FileSearchOutlined />,
  batches: <CloudUploadOutlined />,
  clients: <BankOutlined />,
  paymentClaims: <MoneyCollectOutlined />,
  paymentFiles: <CloudUploadOutlined />,
  reversals: <RollbackOutlined />,
  approvals: <CheckSquareOutlined />,
  users: <UserOutlined />,
  teams: <TeamOutlined />,
  audit: <AuditOutlined />,
  compliance: <SafetyCertificateOutlined />,
  strategies: <BranchesOutlined />,
  workspace: <SolutionOutlined />,
  allocation: <ApartmentOutlined />,
  measures: <LineChartOutlined />,
};

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <Select<Language>
      aria-label={t('header.language')}
      value={i18n.language === 'en' ? 'en' : 'zh-CN'}
      onChange={(value) => rememberLanguage(value)}
      style={{ width: 110 }}
      options={[
        { value: 'zh-CN', label: '简体中文' },
        { value: 'en', label: 'English' },
      ]}
    />
  );
}

export function AppLayout({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const { user, logout, hasRole } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();

  const visible = menuItems.filter((item) => hasRole(...item.roles));
  const items: MenuProps['items'] = areas
    .map((area) => ({
      type: 'group' as const,
      key: `area-${area}`,
      label: t(`areas.${area}`),
      children: visible
        .filter((item) => item.area === area)
        .map((item) => ({ key: item.path, icon: icons[item.key], label: t(`menu.${item.key}`) })),
    }))
    .filter((group) => group.children.length > 0);

  const selected =
    menuItems
      .map((item) => item.path)
      .filter(
        (path) => path === location.pathname || (path !== '/' && location.pathname.startsWith(`${path}/`)),
      )
      .sort((a, b) => b.length - a.length)[0] ?? '/';

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a className="hk-skip" href="#main">
        {t('header.skipToContent')}
      </a>
      <Layout.Sider width={200} breakpoint="lg" collapsedWidth={64} theme="dark">
        <div className="hk-brand">
          <SolutionOutlined style={{ marginRight: 8 }} />
          {t('app.name')}
        </div>
        <nav aria-label={t('header.mainMenu')}>
          <Menu
            theme="dark"
            mode="inline"
            selectedKeys={[selected]}
            items={items}
            onClick={({ key }) => navigate(key)}
          />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 20px',
            display: 'flex',
            justifyContent: 'space-between',
            alignItems: 'center',
            height: 56,
            borderBottom: '1px solid #f0f0f0',
          }}
        >
          <Typography.Text strong>{t('app.tagline')}</Typography.Text>
          <Space size="middle">
            <Space size={6} aria-label={t('header.user')}>
              <Avatar size="small" icon={<UserOutlined />} />
              <span data-testid="current-user">{user?.display_name || user?.username}</span>
              {user?.roles.map((role) => (
                <Tag key={role} color="blue" style={{ marginInlineEnd: 0 }}>
                  {t(`roles.${role}`)}
                </Tag>
              ))}
            </Space>
            <NotificationBell />
            <LanguageSwitch />
            <Button icon={<LogoutOutlined />} onClick={() => void logout().then(() => navigate('/'))}>
              {t('header.logout')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content id="main" tabIndex={-1} style={{ padding: 20, minWidth: 0 }}>
          {children}
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
