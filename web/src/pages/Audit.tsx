import { Button, Card, DatePicker, Form, Input, Space, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Query } from '../api.ts';
import { ServerTable } from '../components/ServerTable.tsx';
import { formatInstant } from '../format.ts';
import { type AuditEvent, pick } from '../types.ts';

interface Filters {
  actor?: string;
  action?: string;
  entity_type?: string;
  entity_id?: string;
  range?: [Dayjs | null, Dayjs | null] | null;
}

function json(value: unknown): string {
  if (value === undefined || value === null) return '—';
  return JSON.stringify(value, null, 2);
}

export default function Audit() {
  const { t } = useTranslation();
  const [form] = Form.useForm<Filters>();
  const [query, setQuery] = useState<Query>({});

  return (
    <section aria-labelledby="audit-title">
      <Typography.Title id="audit-title" level={4} style={{ marginTop: 0 }}>
        {t('audit.title')}
      </Typography.Title>
      <Card size="small" style={{ marginBottom: 16 }}>
        <Form<Filters>
          form={form}
          layout="inline"
          style={{ rowGap: 8 }}
          onFinish={(values) =>
            setQuery({
              actor: values.actor?.trim(),
              action: values.action?.trim(),
              entity_type: values.entity_type?.trim(),
              entity_id: values.entity_id?.trim(),
              from: values.range?.[0]?.startOf('day').toISOString(),
              to: values.range?.[1]?.endOf('day').toISOString(),
            })
          }
        >
          <Form.Item name="actor" label={t('audit.actor')}>
            <Input allowClear aria-label={t('audit.actor')} style={{ width: 130 }} />
          </Form.Item>
          <Form.Item name="action" label={t('audit.action')}>
            <Input allowClear aria-label={t('audit.action')} style={{ width: 150 }} />
          </Form.Item>
          <Form.Item name="entity_type" label={t('audit.entityType')}>
            <Input allowClear aria-label={t('audit.entityType')} style={{ width: 120 }} />
          </Form.Item>
          <Form.Item name="entity_id" label={t('audit.entityId')}>
            <Input allowClear aria-label={t('audit.entityId')} style={{ width: 100 }} />
          </Form.Item>
          <Form.Item name="range" label={t('audit.period')}>
            <DatePicker.RangePicker aria-label={t('audit.period')} />
          </Form.Item>
          <Space>
            <Button type="primary" htmlType="submit">
              {t('common.search')}
            </Button>
            <Button
              onClick={() => {
                form.resetFields();
                setQuery({});
              }}
            >
              {t('common.reset')}
            </Button>
          </Space>
        </Form>
      </Card>
      <ServerTable<AuditEvent>
        path="/audit"
        query={query}
        label={t('audit.title')}
        rowKey={(event) => String(pick(event, 'id', 'seq') ?? `${event.action}-${event.entity_id}`)}
        expandable={{
          expandedRowRender: (event) => (
            <Space align="start" size="large" wrap>
              <div>
                <Typography.Text strong>{t('audit.before')}</Typography.Text>
                <pre style={{ margin: 0, maxWidth: 520, overflow: 'auto' }}>{json(event.before)}</pre>
              </div>
              <div>
                <Typography.Text strong>{t('audit.after')}</Typography.Text>
                <pre style={{ margin: 0, maxWidth: 520, overflow: 'auto' }}>{json(event.after)}</pre>
              </div>
            </Space>
          ),
        }}
        columns={[
          {
            title: t('audit.at'),
            key: 'at',
            render: (_v, event) => formatInstant(pick(event, 'at', 'occurred_at', 'created_at')),
          },
          { title: t('audit.actor'), dataIndex: 'actor', key: 'actor' },
          { title: t('audit.action'), dataIndex: 'action', key: 'action' },
          { title: t('audit.entityType'), dataIndex: 'entity_type', key: 'entity_type' },
          { title: t('audit.entityId'), dataIndex: 'entity_id', key: 'entity_id' },
          { title: t('audit.ip'), dataIndex: 'ip', key: 'ip' },
        ]}
      />
    </section>
  );
}
