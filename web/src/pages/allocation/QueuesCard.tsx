import { App, Button, Card, Form, Input, InputNumber, Select, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../../api.ts';
import { Money } from '../../components/Money.tsx';
import { useApi } from '../../hooks.ts';
import type { AgentQueue, QueueItem } from './types.ts';

/**
 * The team's queues per agent (accounts, balance, due now) and rebalancing (调案): pick an agent,
 * select some of their accounts (or the first N of the queue) and move them to another agent with a reason.
 */
export function QueuesCard({
  teamId,
  refreshKey,
  onMoved,
}: {
  teamId: number;
  refreshKey: number;
  onMoved: () => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queues = useApi<{ items: AgentQueue[] }>(`/allocation/teams/${teamId}/queues`, undefined, refreshKey);
  const [from, setFrom] = useState<string | null>(null);
  const queue = useApi<{ items: QueueItem[] }>(
    from === null ? null : '/worklist/queue',
    { agent: from ?? undefined },
    refreshKey,
  );
  const [selected, setSelected] = useState<number[]>([]);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ to_agent: string; reason: string; top: number | null }>();
  const agents = queues.data?.items ?? [];
  const items = queue.data?.items ?? [];
  // the chosen agent's queue is longer than the rows it lists: say so beside the list
  const capped = agents.find((a) => a.agent === from && a.queue_capped);

  return (
    <Card size="small" title={t('allocation.queues')}>
      <Table<AgentQueue>
        size="small"
        rowKey="agent"
        aria-label={t('allocation.queues')}
        loading={queues.loading}
        pagination={false}
        dataSource={agents}
        rowSelection={{
          type: 'radio',
          selectedRowKeys: from === null ? [] : [from],
          onChange: (keys) => {
            setFrom(String(keys[0]));
            setSelected([]);
          },
          getCheckboxProps: (row) => ({ 'aria-label': `${t('allocation.rebalanceFrom')} ${row.agent}` }),
        }}
        columns={[
          { title: t('allocation.agent'), dataIndex: 'agent', key: 'agent' },
          { title: t('allocation.accounts'), dataIndex: 'accounts', key: 'accounts' },
          {
            title: t('allocation.balance'),
            dataIndex: 'balance_minor',
            key: 'balance',
            render: (value: number) => <Money value={value} />,
          },
          { title: t('allocation.dueNow'), dataIndex: 'due_now', key: 'due' },
        ]}
      />
      {from !== null && (
        <>
          {capped && (
            <Typography.Text
              type="secondary"
              data-testid="queue-capped"
              style={{ display: 'block', marginTop: 12 }}
            >
              {t('allocation.queueCapped', { rows: capped.queue_rows, count: capped.accounts })}
            </Typography.Text>
          )}
          <Table<QueueItem>
            style={{ marginTop: 12 }}
            size="small"
            rowKey="account_id"
            aria-label={t('allocation.accountsOf', { agent: from })}
            loading={queue.loading}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            dataSource={items}
            rowSelection={{
              selectedRowKeys: selected,
              onChange: (keys) => setSelected(keys.map(Number)),
              getCheckboxProps: (row) => ({ 'aria-label': `${t('allocation.select')} ${row.ref}` }),
            }}
            columns={[
              { title: t('allocation.ref'), dataIndex: 'ref', key: 'ref' },
              { title: t('allocation.debtor'), dataIndex: 'debtor_name', key: 'debtor' },
              {
                title: t('allocation.balance'),
                key: 'balance',
                render: (_v, row) => <Money value={row.balance_minor} currency={row.currency} />,
              },
              { title: t('allocation.tier'), dataIndex: 'tier', key: 'tier' },
            ]}
          />
          <Form
            form={form}
            layout="inline"
            style={{ marginTop: 12 }}
            onFinish={async (values) => {
              const ids =
                selected.length > 0
                  ? selected
                  : items.slice(0, values.top ?? 0).map((item) => item.account_id);
              if (ids.length === 0) {
                message.warning(t('allocation.selectSome'));
                return;
              }
              setBusy(true);
              try {
                const result = await api.post<{ moved: number }>('/allocation/reassign', {
                  account_ids: ids,
                  to_agent: values.to_agent,
                  reason: values.reason.trim(),
                });
                message.success(t('allocation.moved', result));
                setSelected([]);
                form.resetFields();
                onMoved();
              } catch (caught) {
                message.error(errorText(caught));
              } finally {
                setBusy(false);
              }
            }}
          >
            <Form.Item name="top" label={t('allocation.topN')}>
              <InputNumber aria-label={t('allocation.topN')} min={1} max={1000} precision={0} />
            </Form.Item>
            <Form.Item
              name="to_agent"
              label={t('allocation.toAgent')}
              rules={[{ required: true, message: t('validation.required') }]}
            >
              <Select
                aria-label={t('allocation.toAgent')}
                style={{ width: 180 }}
                options={agents
                  .filter((a) => a.agent !== from)
                  .map((a) => ({ value: a.agent, label: a.agent }))}
              />
            </Form.Item>
            <Form.Item
              name="reason"
              label={t('allocation.reason')}
              rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
            >
              <Input aria-label={t('allocation.reason')} maxLength={500} />
            </Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" loading={busy}>
                {t('allocation.reassign')}
              </Button>
            </Space>
          </Form>
        </>
      )}
    </Card>
  );
}
