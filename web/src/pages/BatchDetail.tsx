import { DownloadOutlined } from '@ant-design/icons';
import { App, Button, Card, Descriptions, Input, Space, Spin, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, apiBase, errorText } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Money } from '../components/Money.tsx';
import { StatusTag } from '../components/StatusTag.tsx';
import { formatDate, formatInstant } from '../format.ts';
import { useApi } from '../hooks.ts';
import { formatMinor } from '../money.ts';
import type { Batch } from '../types.ts';

type RowError = NonNullable<Batch['errors']>[number];

export default function BatchDetail() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const { user, hasRole } = useAuth();
  const { modal, message } = App.useApp();
  const [refreshKey, setRefreshKey] = useState(0);
  const { data: batch, error, loading } = useApi<Batch>(`/placement-batches/${id}`, undefined, refreshKey);
  const reload = () => setRefreshKey((value) => value + 1);

  if (loading && !batch) return <Spin style={{ display: 'block', margin: '80px auto' }} />;
  if (error || !batch) return <ErrorAlert error={error ?? new Error(t('errors.not_found'))} />;

  const pending = batch.status === 'pending_approval';
  const canDecide = hasRole('supervisor', 'admin', 'finance') && pending;
  const ownBatch = batch.proposed_by === user?.username;
  const total = formatMinor(batch.placed_total_minor, batch.currency);

  const approve = () =>
    modal.confirm({
      title: t('batches.approveTitle'),
      okText: t('batches.approve'),
      cancelText: t('common.cancel'),
      content: (
        <Descriptions column={1} size="small">
          <Descriptions.Item label={t('batches.name')}>{batch.name}</Descriptions.Item>
          <Descriptions.Item label={t('common.client')}>{batch.client}</Descriptions.Item>
          <Descriptions.Item label={t('batches.accepted')}>{batch.accepted}</Descriptions.Item>
          <Descriptions.Item label={t('batches.placedTotal')}>{total}</Descriptions.Item>
          <Descriptions.Item label={t('batches.proposedBy')}>{batch.proposed_by}</Descriptions.Item>
        </Descriptions>
      ),
      onOk: async () => {
        try {
          await api.post(`/placement-batches/${id}/approve`);
          message.success(t('batches.approvedMessage'));
          reload();
        } catch (caught) {
          message.error(errorText(caught));
          throw caught;
        }
      },
    });

  const reject = () => {
    let reason = '';
    modal.confirm({
      title: t('batches.rejectTitle'),
      okText: t('batches.reject'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      content: (
        <Input.TextArea
          rows={3}
          aria-label={t('common.reason')}
          placeholder={t('common.reason')}
          onChange={(event) => {
            reason = event.target.value;
          }}
        />
      ),
      onOk: async () => {
        if (!reason.trim()) {
          message.error(t('validation.reasonRequired'));
          throw new Error('reason');
        }
        try {
          await api.post(`/placement-batches/${id}/reject`, { reason: reason.trim() });
          message.success(t('batches.rejectedMessage'));
          reload();
        } catch (caught) {
          message.error(errorText(caught));
          throw caught;
        }
      },
    });
  };

  return (
    <section aria-labelledby="batch-title">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Space align="center">
          <Link to="/batches">{t('common.back')}</Link>
          <Typography.Title id="batch-title" level={4} style={{ margin: 0 }}>
            {t('batches.detailTitle', { name: batch.name })}
          </Typography.Title>
          <StatusTag status={batch.status} />
        </Space>
        {canDecide && (
          <Space>
            {ownBatch && <Typography.Text type="warning">{t('batches.notOwn')}</Typography.Text>}
            <Button type="primary" onClick={approve} disabled={ownBatch}>
              {t('batches.approve')}
            </Button>
            <Button danger onClick={reject} disabled={ownBatch}>
              {t('batches.reject')}
            </Button>
          </Space>
        )}
      </Space>
      <Card size="small" title={t('batches.result')}>
        <Descriptions column={{ xs: 1, md: 3 }} size="small">
          <Descriptions.Item label={t('common.client')}>{batch.client}</Descriptions.Item>
          <Descriptions.Item label={t('batches.file')}>{batch.file_name}</Descriptions.Item>
          <Descriptions.Item label={t('batches.recallDate')}>
            {formatDate(batch.recall_date)}
          </Descriptions.Item>
          <Descriptions.Item label={t('batches.rows')}>{batch.rows}</Descriptions.Item>
          <Descriptions.Item label={t('batches.accepted')}>{batch.accepted}</Descriptions.Item>
          <Descriptions.Item label={t('batches.rejected')}>{batch.rejected}</Descriptions.Item>
          <Descriptions.Item label={t('batches.duplicates')}>{batch.duplicates}</Descriptions.Item>
          <Descriptions.Item label={t('batches.placedTotal')}>
            <Money value={batch.placed_total_minor} currency={batch.currency} />
          </Descriptions.Item>
          <Descriptions.Item label={t('batches.proposedBy')}>
            {batch.proposed_by} · {formatInstant(batch.proposed_at)}
          </Descriptions.Item>
          {batch.decided_by && (
            <Descriptions.Item label={t('batches.decidedBy')}>
              {batch.decided_by} · {formatInstant(batch.decided_at)}
            </Descriptions.Item>
          )}
          {batch.reject_reason && (
            <Descriptions.Item label={t('batches.rejectReason')}>{batch.reject_reason}</Descriptions.Item>
          )}
        </Descriptions>
      </Card>
      <Card
        size="small"
        style={{ marginTop: 16 }}
        title={t('batches.badRows', {
          count: batch.errors_total ?? batch.errors?.length ?? batch.rejected ?? 0,
        })}
        extra={
          (batch.errors_total ?? batch.rejected ?? 0) > 0 && (
            <Button
              icon={<DownloadOutlined />}
              href={`${apiBase}/placement-batches/${id}/errors.csv`}
              download
            >
              {t('batches.downloadErrors')}
            </Button>
          )
        }
      >
        <Table<RowError>
          aria-label={t('batches.badRowsLabel')}
          size="small"
          rowKey={(row, index) => `${row.row ?? row.line ?? ''}-${row.column ?? row.field ?? ''}-${index}`}
          dataSource={batch.errors ?? []}
          pagination={{ pageSize: 20, showSizeChanger: false }}
          locale={{ emptyText: t('batches.noBadRows') }}
          columns={[
            { title: t('batches.row'), key: 'row', width: 80, render: (_v, row) => row.row ?? row.line },
            { title: t('batches.column'), key: 'column', render: (_v, row) => row.column ?? row.field },
            { title: t('batches.problem'), key: 'reason', render: (_v, row) => row.reason ?? row.message },
          ]}
        />
      </Card>
    </section>
  );
}
