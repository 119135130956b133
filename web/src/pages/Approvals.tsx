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
import { formatInstant } from '../format.ts';
import { tDynamic } from '../i18n.ts';
import { formatMinor, type Minor, sumMinor } from '../money.ts';
import { type Approval, pick } from '../types.ts';

const approvalStatuses = ['pending', 'approved', 'rejected'] as const;

export default function Approvals() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const { modal, message } = App.useApp();
  const [status, setStatus] = useState<string>('pending');
  const [refreshKey, setRefreshKey] = useState(0);
  const reload = () => setRefreshKey((value) => value + 1);

  const requester = (item: Approval) => pick<string>(item, 'proposed_by', 'requested_by') ?? '—';
  /** The money a proposal moves: its amount, or the sum of its component changes (adjustments). */
  const amountOf = (item: Approval): Minor | undefined => {
    const direct = item.amount_minor ?? item.payload?.amount_minor;
    if (direct !== undefined) return direct;
    const parts = item.payload?.components;
    return parts ? sumMinor(Object.values(parts)) : undefined;
  };
  const approverRole = (item: Approval) => {
    const role = pick<string>(item, 'required_role', 'approver_role');
    return role ? tDynamic(`roles.${role}`, role) : tDynamic(`proposals.approver.${item.kind}`, '—');
  };
  const summary = (item: Approval) => (
    <Descriptions column={1} size="small">
      <Descriptions.Item label={t('proposals.kind')}>
        {tDynamic(`proposals.kinds.${item.kind}`, item.kind)}
      </Descriptions.Item>
      <Descriptions.Item label={t('claims.account')}>
        {item.account_ref ?? item.account_id ?? '—'}
      </Descriptions.Item>
      <Descriptions.Item label={t('common.amount')}>
        {formatMinor(amountOf(item), item.currency)}
      </Descriptions.Item>
      <Descriptions.Item label={t('approvals.requestedBy')}>{requester(item)}</Descriptions.Item>
      <Descriptions.Item label={t('common.reason')}>{item.reason ?? '—'}</Descriptions.Item>
      {item.decision_reason && (
        <Descriptions.Item label={t('approvals.decisionReason')}>{item.decision_reason}</Descriptions.Item>
      )}
      <Descriptions.Item label={t('common.whoApproves')}>{approverRole(item)}</Descriptions.Item>
    </Descriptions>
  );

  const approve = (item: Approval) =>
    modal.confirm({
      title: t('approvals.approveTitle'),
      okText: t('approvals.approve'),
      cancelText: t('common.cancel'),
      content: summary(item),
      onOk: async () => {
        try {
          await api.post(`/approvals/${item.id}/approve`);
          message.success(t('approvals.approved'));
          reload();
        } catch (caught) {
          message.error(errorText(caught));
          throw caught;
        }
      },
    });

  const reject = (item: Approval) =>
    confirmWithReason(
      modal,
      t,
      {
        title: t('approvals.rejectTitle'),
        okText: t('approvals.reject'),
        summary: summary(item),
        onOk: async (reason) => {
          try {
            await api.post(`/approvals/${item.id}/reject`, { reason });
            message.success(t('approvals.rejected'));
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
    <section aria-labelledby="approvals-title">
      <Typography.Title id="approvals-title" level={4} style={{ marginTop: 0 }}>
        {t('approvals.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('approvals.explain')}</Typography.Paragraph>
      <Tabs
        activeKey={status}
        onChange={setStatus}
        items={approvalStatuses.map((key) => ({ key, label: tDynamic(`status.${key}`) }))}
      />
      <ServerTable<Approval>
        path="/approvals"
        query={{ status }}
        label={t('approvals.title')}
        rowKey="id"
        reloadKey={refreshKey}
        columns={[
          {
            title: t('proposals.kind'),
            dataIndex: 'kind',
            key: 'kind',
            render: (kind: string) => tDynamic(`proposals.kinds.${kind}`, kind),
          },
          {
            title: t('claims.account'),
            key: 'account',
            render: (_v, item) =>
              item.account_id ? (
                <Link to={`/accounts/${item.account_id}`}>{item.account_ref ?? `#${item.account_id}`}</Link>
              ) : (
                '—'
              ),
          },
          {
            title: t('common.client'),
            key: 'client',
            render: (_v, item) => pick<string>(item, 'client_code', 'client'),
          },
          {
            title: t('common.amount'),
            key: 'amount',
            align: 'right',
            render: (_v, item) => <Money value={amountOf(item)} currency={item.currency} />,
          },
          { title: t('approvals.requestedBy'), key: 'by', render: (_v, item) => requester(item) },
          {
            title: t('common.createdAt'),
            key: 'at',
            render: (_v, item) => formatInstant(pick(item, 'proposed_at', 'created_at', 'requested_at')),
          },
          { title: t('common.reason'), dataIndex: 'reason', key: 'reason' },
          { title: t('common.whoApproves'), key: 'approver', render: (_v, item) => approverRole(item) },
          {
            title: t('common.status'),
            dataIndex: 'status',
            key: 'status',
            render: (s: string) => <StatusTag status={s} />,
          },
          ...(status === 'pending'
            ? [
                {
                  title: t('common.actions'),
                  key: 'actions',
                  render: (_v: unknown, item: Approval) => {
                    const own = item.own ?? requester(item) === user?.username;
                    return (
                      <Space>
                        <Button
                          type="primary"
                          size="small"
                          disabled={own}
                          title={own ? t('approvals.notOwn') : undefined}
                          onClick={() => approve(item)}
                        >
                          {t('approvals.approve')}
                        </Button>
                        <Button danger size="small" disabled={own} onClick={() => reject(item)}>
                          {t('approvals.reject')}
                        </Button>
                      </Space>
                    );
                  },
                },
              ]
            : []),
        ]}
      />
    </section>
  );
}
