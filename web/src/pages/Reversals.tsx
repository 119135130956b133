import { App, Button, Card, Descriptions, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api.ts';
import { ClientSelect } from '../components/ClientSelect.tsx';
import { ResultSummary } from '../components/ResultSummary.tsx';

interface Values {
  client: string;
  external_id: string;
  reason: string;
}

export default function Reversals() {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [result, setResult] = useState<Record<string, unknown> | null>(null);

  return (
    <section aria-labelledby="reversals-title">
      <Typography.Title id="reversals-title" level={4} style={{ marginTop: 0 }}>
        {t('reversals.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('reversals.explain')}</Typography.Paragraph>
      <Card size="small" style={{ maxWidth: 640 }}>
        <Form<Values>
          form={form}
          layout="vertical"
          onFinish={(values) =>
            modal.confirm({
              title: t('reversals.confirmTitle'),
              okText: t('reversals.submit'),
              okButtonProps: { danger: true },
              cancelText: t('common.cancel'),
              content: (
                <Descriptions column={1} size="small">
                  <Descriptions.Item label={t('common.client')}>{values.client}</Descriptions.Item>
                  <Descriptions.Item label={t('reversals.externalId')}>
                    {values.external_id}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('common.reason')}>{values.reason}</Descriptions.Item>
                  <Descriptions.Item label={t('common.whoApproves')}>
                    {t('reversals.noApproval')}
                  </Descriptions.Item>
                </Descriptions>
              ),
              onOk: async () => {
                try {
                  const answer = await api.post<Record<string, unknown>>('/reversals', {
                    client: values.client,
                    external_id: values.external_id.trim(),
                    reason: values.reason.trim(),
                  });
                  setResult(answer ?? {});
                  message.success(t('reversals.done'));
                  form.resetFields();
                } catch (caught) {
                  message.error(errorText(caught));
                  throw caught;
                }
              },
            })
          }
        >
          <Form.Item
            name="client"
            label={t('common.client')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <ClientSelect allowClear={false} />
          </Form.Item>
          <Form.Item
            name="external_id"
            label={t('reversals.externalId')}
            extra={t('reversals.externalIdHelp')}
            rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
          >
            <Input aria-label={t('reversals.externalId')} />
          </Form.Item>
          <Form.Item
            name="reason"
            label={t('common.reason')}
            rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
          >
            <Input.TextArea rows={3} aria-label={t('common.reason')} />
          </Form.Item>
          <Button type="primary" danger htmlType="submit">
            {t('reversals.submit')}
          </Button>
        </Form>
      </Card>
      {result && (
        <Card size="small" title={t('reversals.result')} style={{ marginTop: 16 }}>
          <ResultSummary result={result} />
        </Card>
      )}
    </section>
  );
}
