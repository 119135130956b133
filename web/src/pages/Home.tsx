import { Button, Card, Col, Input, List, Row, Space, Statistic, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import type { Page } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { BalancesTable } from '../components/BalancesTable.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Money } from '../components/Money.tsx';
import { BucketChart, CollectionsChart } from '../components/StatsCharts.tsx';
import { StatusTag } from '../components/StatusTag.tsx';
import { TeamBoard } from '../components/TeamBoard.tsx';
import { formatDate, todayIso } from '../format.ts';
import { useApi } from '../hooks.ts';
import { tDynamic } from '../i18n.ts';
import { sumMinor } from '../money.ts';
import type { Approval, Batch, PaymentClaim } from '../types.ts';

function CountCard({ title, path, query, to }: { title: string; path: string; query: object; to: string }) {
  const { t } = useTranslation();
  const { data, error, loading } = useApi<Page<unknown>>(path, { ...query, page: 1, page_size: 1 });
  return (
    <Card size="small">
      <Statistic title={title} value={error ? '—' : (data?.total ?? 0)} loading={loading} />
      <Link to={to}>{t('home.open')}</Link>
    </Card>
  );
}

function AccountSearch() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  return (
    <Card size="small" title={t('home.findAccount')}>
      <Input.Search
        aria-label={t('accounts.search')}
        placeholder={t('accounts.searchPlaceholder')}
        enterButton={t('common.search')}
        onSearch={(value) => navigate(`/accounts?q=${encodeURIComponent(value.trim())}`)}
      />
    </Card>
  );
}

function PendingClaims({ title }: { title: string }) {
  const { t } = useTranslation();
  const { data, error, loading } = useApi<Page<PaymentClaim>>('/payment-claims', {
    status: 'pending',
    page: 1,
    page_size: 8,
  });
  return (
    <Card size="small" title={title} extra={<Link to="/payment-claims">{t('home.open')}</Link>}>
      <ErrorAlert error={error} />
      <List
        loading={loading}
        dataSource={data?.items ?? []}
        locale={{ emptyText: t('home.noClaims') }}
        renderItem={(claim) => (
          <List.Item
            extra={
              <span style={{ width: 120 }}>
                <Money value={claim.amount_minor} currency={claim.currency} />
              </span>
            }
          >
            <Space>
              <Link to={`/accounts/${claim.account_id}`}>{claim.account_ref ?? `#${claim.account_id}`}</Link>
              <span>{claim.debtor_name}</span>
              <span>{formatDate(claim.paid_on)}</span>
              <StatusTag status={claim.status} />
            </Space>
          </List.Item>
        )}
      />
    </Card>
  );
}

function PendingApprovals() {
  const { t } = useTranslation();
  const { data, error, loading } = useApi<Page<Approval>>('/approvals', {
    status: 'pending',
    page: 1,
    page_size: 8,
  });
  return (
    <Card
      size="small"
      title={t('home.approvalsWaiting')}
      extra={<Link to="/approvals">{t('home.open')}</Link>}
    >
      <ErrorAlert error={error} />
      <List
        loading={loading}
        dataSource={data?.items ?? []}
        locale={{ emptyText: t('approvals.empty') }}
        renderItem={(item) => (
          <List.Item
            extra={
              <span style={{ width: 120 }}>
                <Money value={item.amount_minor ?? item.payload?.amount_minor} currency={item.currency} />
              </span>
            }
          >
            <Space>
              <span>{tDynamic(`proposals.kinds.${item.kind}`, item.kind)}</span>
              <span>{item.account_ref ?? item.account_id}</span>
              <span>{item.requested_by ?? item.proposed_by}</span>
            </Space>
          </List.Item>
        )}
      />
    </Card>
  );
}

function BatchesWaiting({ status }: { status?: string }) {
  const { t } = useTranslation();
  const { data, error, loading } = useApi<Page<Batch>>('/placement-batches', {
    status,
    page: 1,
    page_size: 8,
  });
  return (
    <Card
      size="small"
      title={status ? t('home.batchesWaiting') : t('home.myBatches')}
      extra={<Link to="/batches">{t('home.open')}</Link>}
    >
      <ErrorAlert error={error} />
      <List
        loading={loading}
        dataSource={data?.items ?? []}
        locale={{ emptyText: t('batches.empty') }}
        renderItem={(batch) => {
          const id = batch.batch_id ?? batch.id;
          return (
            <List.Item
              extra={
                <span style={{ width: 130 }}>
                  <Money value={batch.placed_total_minor} currency={batch.currency} />
                </span>
              }
            >
              <Space>
                <Link to={`/batches/${id}`}>{batch.name}</Link>
                <span>{batch.client}</span>
                <StatusTag status={batch.status} />
              </Space>
            </List.Item>
          );
        }}
      />
    </Card>
  );
}

/** An agent's own results: the payments it registered that finance verified this month, and those waiting. */
function MyResults() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const verified = useApi<Page<PaymentClaim>>('/payment-claims', {
    status: 'verified',
    page: 1,
    page_size: 200,
  });
  const pending = useApi<Page<PaymentClaim>>('/payment-claims', { status: 'pending', page: 1, page_size: 1 });
  const month = todayIso().slice(0, 7);
  const thisMonth = (verified.data?.items ?? []).filter((claim) => claim.paid_on.startsWith(month));
  const currency = thisMonth[0]?.currency ?? 'CNY';
  return (
    <Card size="small" title={t('home.myResults')}>
      <ErrorAlert error={verified.error ?? pending.error} />
      <Row gutter={16}>
        <Col span={10}>
          <Statistic
            title={t('home.collectedThisMonth')}
            loading={verified.loading}
            valueRender={() => (
              <Money value={sumMinor(thisMonth.map((claim) => claim.amount_minor))} currency={currency} />
            )}
          />
        </Col>
        <Col span={7}>
          <Statistic title={t('home.verifiedCount')} value={thisMonth.length} loading={verified.loading} />
        </Col>
        <Col span={7}>
          <Statistic
            title={t('home.waitingCount')}
            value={pending.data?.total ?? 0}
            loading={pending.loading}
          />
        </Col>
      </Row>
      <Space wrap style={{ marginTop: 12 }}>
        <Button onClick={() => navigate('/accounts')}>{t('home.myAccounts')}</Button>
        <Button onClick={() => navigate('/payment-claims')}>{t('home.myClaims')}</Button>
      </Space>
    </Card>
  );
}

export default function Home() {
  const { t } = useTranslation();
  const { user, hasRole } = useAuth();
  const greeting = t('home.greeting', { name: user?.display_name || user?.username || '' });
  const charts = (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={12}>
        <BucketChart />
      </Col>
      <Col xs={24} xl={12}>
        <CollectionsChart />
      </Col>
    </Row>
  );

  let body: React.ReactNode;
  if (hasRole('client') && !hasRole('admin', 'supervisor', 'finance', 'agent', 'compliance')) {
    body = (
      <Space direction="vertical" size={16} style={{ width: '100%' }}>
        <Typography.Paragraph type="secondary">{t('home.clientIntro')}</Typography.Paragraph>
        <BalancesTable />
        {charts}
        <BatchesWaiting />
      </Space>
    );
  } else if (hasRole('supervisor')) {
    body = (
      <Space direction="vertical" size={16} style={{ width: '100%' }}>
        <Row gutter={[16, 16]}>
          <Col xs={24} md={8}>
            <CountCard
              title={t('home.approvalsWaiting')}
              path="/approvals"
              query={{ status: 'pending' }}
              to="/approvals"
            />
          </Col>
          <Col xs={24} md={8}>
            <CountCard
              title={t('home.batchesWaiting')}
              path="/placement-batches"
              query={{ status: 'pending_approval' }}
              to="/batches"
            />
          </Col>
          <Col xs={24} md={8}>
            <CountCard
              title={t('home.claimsWaiting')}
              path="/payment-claims"
              query={{ status: 'pending' }}
              to="/payment-claims"
            />
          </Col>
        </Row>
        <TeamBoard />
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={12}>
            <PendingApprovals />
          </Col>
          <Col xs={24} xl={12}>
            <BatchesWaiting status="pending_approval" />
          </Col>
        </Row>
        {charts}
      </Space>
    );
  } else if (hasRole('finance')) {
    body = (
      <Space direction="vertical" size={16} style={{ width: '100%' }}>
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={12}>
            <PendingClaims title={t('home.claimsToVerify')} />
          </Col>
          <Col xs={24} xl={12}>
            <CollectionsChart />
          </Col>
        </Row>
        <BalancesTable />
        <BucketChart />
      </Space>
    );
  } else if (hasRole('agent')) {
    body = (
      <Space direction="vertical" size={16} style={{ width: '100%' }}>
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={12}>
            <AccountSearch />
          </Col>
          <Col xs={24} xl={12}>
            <MyResults />
          </Col>
        </Row>
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={12}>
            <PendingClaims title={t('home.myPendingClaims')} />
          </Col>
          <Col xs={24} xl={12}>
            <CollectionsChart />
          </Col>
        </Row>
      </Space>
    );
  } else {
    body = (
      <Space direction="vertical" size={16} style={{ width: '100%' }}>
        <AccountSearch />
        {hasRole('admin') && <TeamBoard />}
        <BalancesTable />
        {charts}
      </Space>
    );
  }

  return (
    <section aria-labelledby="home-title">
      <Typography.Title id="home-title" level={4} style={{ marginTop: 0 }}>
        {greeting}
      </Typography.Title>
      {body}
    </section>
  );
}
