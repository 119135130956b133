import { InboxOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  DatePicker,
  Drawer,
  Form,
  Input,
  Progress,
  Select,
  Space,
  Typography,
  Upload,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { errorText, upload } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ClientSelect } from '../components/ClientSelect.tsx';
import { Money } from '../components/Money.tsx';
import { ServerTable } from '../components/ServerTable.tsx';
import { StatusTag } from '../components/StatusTag.tsx';
import { formatDate, formatInstant } from '../format.ts';
import { tDynamic } from '../i18n.ts';
import type { Batch } from '../types.ts';

export const batchStatuses = ['pending_approval', 'approved', 'rejected'] as const;

export function batchId(batch: Batch): string {
  return String(batch.batch_id ?? batch.id ?? '');
}

function UploadDrawer({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<{ client: string; batch?: string; recall_date?: Dayjs }>();
  const [file, setFile] = useState<File | null>(null);
  const [percent, setPercent] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  return (
    <Drawer open={open} onClose={onClose} title={t('batches.upload')} size={480} destroyOnHidden>
      {error && <Alert type="error" showIcon role="alert" title={error} style={{ marginBottom: 16 }} />}
      <Form
        form={form}
        layout="vertical"
        onFinish={async (values) => {
          if (!file) {
            setError(t('batches.chooseFile'));
            return;
          }
          setError(null);
          setPercent(0);
          const data = new FormData();
          data.append('client', values.client);
          if (values.batch) data.append('batch', values.batch.trim());
          if (values.recall_date) data.append('recall_date', values.recall_date.format('YYYY-MM-DD'));
          data.append('file', file, file.name);
          try {
            const batch = await upload<Batch>('/placement-batches', data, setPercent);
            message.success(t('batches.uploaded'));
            onClose();
            navigate(`/batches/${batchId(batch)}`);
          } catch (caught) {
            setError(errorText(caught));
          } finally {
            setPercent(null);
          }
        }}
      >
        <Form.Item
          name="client"
          label={t('common.client')}
          rules={[{ required: true, message: t('validation.required') }]}
        >
          <ClientSelect allowClear={false} />
        </Form.Item>
        <Form.Item name="batch" label={t('batches.name')} extra={t('batches.nameHelp')}>
          <Input aria-label={t('batches.name')} />
        </Form.Item>
        <Form.Item name="recall_date" label={t('batches.recallDate')}>
          <DatePicker style={{ width: '100%' }} aria-label={t('batches.recallDate')} />
        </Form.Item>
        <Form.Item label={t('batches.file')} required>
          <Upload.Dragger
            accept=".csv,.xlsx,.txt"
            multiple={false}
            maxCount={1}
            beforeUpload={(chosen) => {
              setFile(chosen);
              return false;
            }}
            onRemove={() => setFile(null)}
            fileList={file ? [{ uid: '1', name: file.name, status: 'done' }] : []}
            aria-label={t('batches.dropHere')}
          >
            <p className="ant-upload-drag-icon">
              <InboxOutlined />
            </p>
            <p className="ant-upload-text">{t('batches.dropHere')}</p>
            <p className="ant-upload-hint">{t('batches.dropHint')}</p>
          </Upload.Dragger>
        </Form.Item>
        {percent !== null && (
          <Progress percent={percent} status="active" aria-label={t('batches.progress')} />
        )}
        <Button type="primary" htmlType="submit" loading={percent !== null} block>
          {t('batches.uploadSubmit')}
        </Button>
      </Form>
    </Drawer>
  );
}

export default function Batches() {
  const { t } = useTranslation();
  const { hasRole } = useAuth();
  const [client, setClient] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();
  const [open, setOpen] = useState(false);
  const canUpload = hasRole('admin', 'supervisor', 'finance');
  return (
    <section aria-labelledby="batches-title">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }}>
        <Typography.Title id="batches-title" level={4} style={{ margin: 0 }}>
          {t('batches.title')}
        </Typography.Title>
        {canUpload && (
          <Button type="primary" onClick={() => setOpen(true)}>
            {t('batches.upload')}
          </Button>
        )}
      </Space>
      <Card size="small" style={{ marginBottom: 16 }}>
        <Space wrap>
          {!hasRole('client') && <ClientSelect value={client} onChange={setClient} />}
          <Select
            allowClear
            aria-label={t('common.status')}
            placeholder={t('common.status')}
            style={{ width: 140 }}
            value={status}
            onChange={setStatus}
            options={batchStatuses.map((value) => ({ value, label: tDynamic(`status.${value}`) }))}
          />
        </Space>
      </Card>
      <ServerTable<Batch>
        path="/placement-batches"
        query={{ client, status }}
        label={t('batches.title')}
        rowKey={batchId}
        columns={[
          {
            title: t('batches.name'),
            key: 'name',
            render: (_v, batch) => <Link to={`/batches/${batchId(batch)}`}>{batch.name}</Link>,
          },
          { title: t('common.client'), dataIndex: 'client', key: 'client' },
          {
            title: t('common.status'),
            dataIndex: 'status',
            key: 'status',
            render: (s: string) => <StatusTag status={s} />,
          },
          { title: t('batches.rows'), dataIndex: 'rows', key: 'rows', align: 'right' },
          { title: t('batches.accepted'), dataIndex: 'accepted', key: 'accepted', align: 'right' },
          { title: t('batches.rejected'), dataIndex: 'rejected', key: 'rejected', align: 'right' },
          {
            title: t('batches.placedTotal'),
            key: 'total',
            align: 'right',
            render: (_v, batch) => <Money value={batch.placed_total_minor} currency={batch.currency} />,
          },
          {
            title: t('batches.recallDate'),
            dataIndex: 'recall_date',
            key: 'recall_date',
            render: formatDate,
          },
          { title: t('batches.proposedBy'), dataIndex: 'proposed_by', key: 'proposed_by' },
          {
            title: t('batches.proposedAt'),
            dataIndex: 'proposed_at',
            key: 'proposed_at',
            render: formatInstant,
          },
        ]}
      />
      {canUpload && <UploadDrawer open={open} onClose={() => setOpen(false)} />}
    </section>
  );
}
