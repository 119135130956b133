import { InboxOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Progress, Space, Typography, Upload } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText, upload } from '../api.ts';
import { ClientSelect } from '../components/ClientSelect.tsx';
import { ResultSummary } from '../components/ResultSummary.tsx';

export default function PaymentFiles() {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [percent, setPercent] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<Record<string, unknown> | null>(null);

  return (
    <section aria-labelledby="payment-files-title">
      <Typography.Title id="payment-files-title" level={4} style={{ marginTop: 0 }}>
        {t('paymentFiles.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('paymentFiles.explain')}</Typography.Paragraph>
      <Card size="small" style={{ maxWidth: 640 }}>
        {error && <Alert type="error" showIcon role="alert" title={error} style={{ marginBottom: 16 }} />}
        <Form
          layout="vertical"
          onFinish={async (values: { client: string }) => {
            if (!file) {
              setError(t('batches.chooseFile'));
              return;
            }
            setError(null);
            setResult(null);
            setPercent(0);
            const data = new FormData();
            data.append('client', values.client);
            data.append('file', file, file.name);
            try {
              setResult(await upload<Record<string, unknown>>('/payment-files', data, setPercent));
              setFile(null);
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
          <Form.Item label={t('batches.file')} required>
            <Upload.Dragger
              accept=".csv,.xlsx,.txt"
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
              <p className="ant-upload-hint">{t('paymentFiles.hint')}</p>
            </Upload.Dragger>
          </Form.Item>
          {percent !== null && (
            <Progress percent={percent} status="active" aria-label={t('batches.progress')} />
          )}
          <Space>
            <Button type="primary" htmlType="submit" loading={percent !== null}>
              {t('paymentFiles.submit')}
            </Button>
          </Space>
        </Form>
      </Card>
      {result && (
        <Card size="small" title={t('paymentFiles.result')} style={{ marginTop: 16 }}>
          <ResultSummary result={result} />
        </Card>
      )}
    </section>
  );
}
