import { App, Button, Descriptions, Space, Tabs, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, errorText } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { Money } from '../components/Money.tsx';
import { confirmWithReason } from '../components/ReasonDialog.tsx';
import { ServerTable } from '../components/ServerTable.tsx';
import { StatusTag } from '../components/StatusTag.tsx';
import { formatDate, formatInstant } from '../format.ts';
import { tDynamic } from '../i18n.ts';
import { formatMinor } from '../money.ts';
import { type PaymentClaim, pick } from '../types.ts';

const claimStatuses = ['pending', 'verified', 'rejected'] as const;

export default function PaymentClaims() {
  const { t } = useTranslation();
  const { hasRole } = useAuth();
  const { modal, message } = App.useApp();
  const [status, setStatus] = useState<string>('pending');
  const [refreshKey, setRefreshKey] = useState(0);
  const canVerify = hasRole('finance');
  const reload = () => setRefreshKey((value) => value + 1);

  const summary = (claim: PaymentClaim) => (
    <Descriptions column={1} size="small">
      <Descriptions.Item label={t('claims.account')}>
        {claim.account_ref ?? claim.account_id}
      </Descriptions.Item>
      <Descriptions.Item label={t('common.amount')}>
        {formatMinor(claim.amount_minor, claim.currency)}
      </Descriptions.Item>
      <Descriptions.Item label={t('claims.paidOn')}>{formatDate(claim.paid_on)}</Descriptions.Item>
      <Descriptions.Item label={t('claims.reference')}>{claim.reference}</Descriptions.Item>
      <Descriptions.Item label={t('claims.registeredBy')}>
        {pick(claim, 'claimed_by', 'created_by', 'registered_by')}
      </Descriptions.Item>
    </Descriptions>
  );

  const verify = (claim: PaymentClaim) =>
    modal.confirm({
      title: t('claims.verifyTitle'),
      okText: t('claims.verify'),
      cancelText: t('common.cancel'),
      content: (
        <>
          {summary(claim)}
          <Typography.Paragraph type="secondary">{t('claims.verifyExplain')}</Typography.Paragraph>
        </>
      ),
      onOk: async () => {
        try {
          await api.post(`/payment-claims/${claim.id}/verify`);
          message.success(t('claims.verified'));
          reload();
        } catch (caught) {
          message.error(errorText(caught));
          throw caught;
        }
      },
    });

  const reject = (claim: PaymentClaim) =>
    confirmWithReason(
      modal,
      t,
      {
        title: t('claims.rejectTitle'),
        okText: t('claims.reject'),
        summary: summary(claim),
        onOk: async (reason) => {
          try {
            await api.post(`/payment-claims/${claim.id}/reject`, { reason });
            message.success(t('claims.rejected'));
            reload();
          } catch (caught) {
            message.error(errorText(caught));
            throw caught;
          }
        },
      },
      (text) => message.error(text),
    );

  return (
    <section aria-labelledby="claims-title">
      <Typography.Title id="claims-title" level={4} style={{ marginTop: 0 }}>
        {canVerify ? t('claims.titleFinance') : t('claims.title')}
      </Typography.Title>
      <Tabs
        activeKey={status}
        onChange={setStatus}
        items={claimStatuses.map((key) => ({ key, label: tDynamic(`status.${key}`) }))}
      />
      <ServerTable<PaymentClaim>
        path="/payment-claims"
        query={{ status }}
        label={t('claims.title')}
        rowKey="id"
        reloadKey={refreshKey}
        columns={[
          {
            title: t('claims.account'),
            key: 'account',
            render: (_v, claim) => (
              <Link to={`/accounts/${claim.account_id}`}>{claim.account_ref ?? `#${claim.account_id}`}</Link>
            ),
          },
          { title: t('accounts.debtor'), dataIndex: 'debtor_name', key: 'debtor_name' },
          { title: t('common.client'), dataIndex: 'client', key: 'client' },
          {
            title: t('common.amount'),
            key: 'amount',
            align: 'right',
            render: (_v, claim) => <Money value={claim.amount_minor} currency={claim.currency} />,
          },
          { title: t('claims.paidOn'), dataIndex: 'paid_on', key: 'paid_on', render: formatDate },
          {
            title: t('claims.channel'),
            dataIndex: 'channel',
            key: 'channel',
            render: (channel: string) => tDynamic(`claims.channels.${channel}`, channel),
          },
          { title: t('claims.reference'), dataIndex: 'reference', key: 'reference' },
          {
            title: t('claims.registeredBy'),
            key: 'by',
            render: (_v, claim) => pick(claim, 'claimed_by', 'created_by', 'registered_by'),
          },
          {
            title: t('common.createdAt'),
            key: 'claimed_at',
            render: (_v, claim) => formatInstant(pick(claim, 'claimed_at', 'created_at')),
          },
          {
            title: t('common.status'),
            dataIndex: 'status',
            key: 'status',
            render: (s: string) => <StatusTag status={s} />,
          },
          ...(canVerify && status === 'pending'
            ? [
                {
                  title: t('common.actions'),
                  key: 'actions',
                  render: (_v: unknown, claim: PaymentClaim) => (
                    <Space>
                      <Button type="primary" size="small" onClick={() => verify(claim)}>
                        {t('claims.verify')}
                      </Button>
                      <Button danger size="small" onClick={() => reject(claim)}>
                        {t('claims.reject')}
                      </Button>
                    </Space>
                  ),
                },
              ]
            : []),
          ...(status === 'rejected'
            ? [{ title: t('common.reason'), dataIndex: 'reject_reason', key: 'reject_reason' }]
            : []),
        ]}
      />
    </section>
  );
}
