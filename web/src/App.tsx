import { App as AntApp, ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, type ReactNode, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { AuthProvider, useAuth } from './auth.tsx';
import { AppLayout } from './components/AppLayout.tsx';
import { menuItems } from './menu.ts';
import { LoginPage } from './pages/Login.tsx';
import type { Role } from './types.ts';

const Home = lazy(() => import('./pages/Home.tsx'));
const ComplianceConsole = lazy(() => import('./pages/ComplianceConsole.tsx'));
const Queue = lazy(() => import('./pages/Queue.tsx'));
const Workspace = lazy(() => import('./pages/Workspace.tsx'));
const Risk = lazy(() => import('./pages/Risk.tsx'));
const Strategies = lazy(() => import('./pages/Strategies.tsx'));
const Allocation = lazy(() => import('./pages/Allocation.tsx'));
const Accounts = lazy(() => import('./pages/Accounts.tsx'));
const AccountPage = lazy(() => import('./pages/AccountPage.tsx'));
const Batches = lazy(() => import('./pages/Batches.tsx'));
const BatchDetail = lazy(() => import('./pages/BatchDetail.tsx'));
const Clients = lazy(() => import('./pages/Clients.tsx'));
const ClientDetail = lazy(() => import('./pages/ClientDetail.tsx'));
const PaymentClaims = lazy(() => import('./pages/PaymentClaims.tsx'));
const PaymentFiles = lazy(() => import('./pages/PaymentFiles.tsx'));
const Reversals = lazy(() => import('./pages/Reversals.tsx'));
const Approvals = lazy(() => import('./pages/Approvals.tsx'));
const Users = lazy(() => import('./pages/Users.tsx'));
const Teams = lazy(() => import('./pages/Teams.tsx'));
const Audit = lazy(() => import('./pages/Audit.tsx'));
const Measures = lazy(() => import('./pages/Measures.tsx'));

function rolesFor(path: string): Role[] {
  return menuItems.find((item) => item.path === path)?.roles ?? [];
}

function Guard({ path, page }: { path: string; page: ReactNode }) {
  const { hasRole } = useAuth();
  const { t } = useTranslation();
  if (!hasRole(...rolesFor(path))) return <p role="alert">{t('errors.forbidden')}</p>;
  return <>{page}</>;
}

function Shell() {
  const { user, loading } = useAuth();
  if (loading) {
    return (
      <div className="hk-login">
        <Spin size="large" />
      </div>
    );
  }
  if (!user || user.must_change_password) return <LoginPage />;
  return (
    <AppLayout>
      <Suspense fallback={<Spin style={{ display: 'block', margin: '80px auto' }} />}>
        <Routes>
          <Route path="/" element={<Home />} />
          <Route path="/login" element={<Navigate to="/" replace />} />
          <Route path="/accounts" element={<Guard path="/accounts" page={<Accounts />} />} />
          <Route path="/accounts/:id" element={<Guard path="/accounts" page={<AccountPage />} />} />
          <Route path="/batches" element={<Guard path="/batches" page={<Batches />} />} />
          <Route path="/batches/:id" element={<Guard path="/batches" page={<BatchDetail />} />} />
          <Route path="/clients" element={<Guard path="/clients" page={<Clients />} />} />
          <Route path="/clients/:code" element={<Guard path="/clients" page={<ClientDetail />} />} />
          <Route path="/payment-claims" element={<Guard path="/payment-claims" page={<PaymentClaims />} />} />
          <Route path="/payment-files" element={<Guard path="/payment-files" page={<PaymentFiles />} />} />
          <Route path="/reversals" element={<Guard path="/reversals" page={<Reversals />} />} />
          <Route path="/approvals" element={<Guard path="/approvals" page={<Approvals />} />} />
          <Route path="/users" element={<Guard path="/users" page={<Users />} />} />
          <Route path="/teams" element={<Guard path="/teams" page={<Teams />} />} />
          <Route path="/audit" element={<Guard path="/audit" page={<Audit />} />} />
          <Route path="/compliance" element={<Guard path="/compliance" page={<ComplianceConsole />} />} />
          <Route path="/queue" element={<Guard path="/queue" page={<Queue />} />} />
          <Route path="/workspace" element={<Guard path="/workspace" page={<Workspace />} />} />
          <Route path="/workspace/:accountId" element={<Guard path="/workspace" page={<Workspace />} />} />
          <Route path="/risk" element={<Guard path="/risk" page={<Risk />} />} />
          <Route path="/strategies" element={<Guard path="/strategies" page={<Strategies />} />} />
          <Route path="/allocation" element={<Guard path="/allocation" page={<Allocation />} />} />
          <Route path="/measures" element={<Guard path="/measures" page={<Measures />} />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </Suspense>
    </AppLayout>
  );
}

export function App() {
  const { i18n } = useTranslation();
  return (
    <ConfigProvider
      locale={i18n.language === 'en' ? enUS : zhCN}
      theme={{ token: { colorPrimary: '#1677ff', borderRadius: 4 } }}
      componentSize="middle"
      button={{ autoInsertSpace: false }}
    >
      <AntApp>
        <BrowserRouter>
          <AuthProvider>
            <Shell />
          </AuthProvider>
        </BrowserRouter>
      </AntApp>
    </ConfigProvider>
  );
}
