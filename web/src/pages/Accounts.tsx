import { DownloadOutlined } from '@ant-design/icons';
import { App, Button, Card, Form, Input, Select, Space, Tooltip, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { download, errorText, type Page, type Query } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ClientSelect } from '../components/ClientSelect.tsx';
import { Money } from '../components/Money.tsx';
import { type FilterValues, SavedFilters } from '../components/SavedFilters.tsx';
import { ServerTable } from '../components/ServerTable.tsx';
import { StatusTag } from '../components/StatusTag.tsx';
import { tDynamic } from '../i18n.ts';
import { formatMinor, parseAmountToMinor } from '../money.ts';
import { type AccountRow, pick } from '../types.ts';

export const accountStatuses = ['active', 'paid', 'settled', 'closed', 'recalled', 'written_off'] as const;
export const buckets = ['M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M6+'] as const;

/** The most rows one export holds (the server's cap, src/reports/exportModel.ts; it refuses more with 413). */
export const exportRowCap = 10_000;

/** A saved amount in minor units back to what the filter box shows (`100000` → `1,000.00`). */
function amountText(minor: string | undefined): string | undefined {
  return minor ? formatMinor(minor, 'CNY').replace(/^[^\d-]+/, '') : undefined;
}

interface Filters {
  q?: string;
  client?: string;
  batch?: string;
  bucket?: string;
  status?: string;
  min?: string;
  max?: string;
}

export default function Accounts() {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const { hasRole } = useAuth();
  const [listed, setListed] = useState<{ total: number; capped: boolean } | null>(null);
  const [exporting, setExporting] = useState(false);
  const onLoaded = useCallback(
    (page: Page<AccountRow> & { total_capped?: boolean }) =>
      setListed({ total: page.total, capped: page.total_capped === true }),
    [],
  );
  const [params, setParams] = useSearchParams();
  const [form] = Form.useForm<Filters>();
  const initial: Filters = {
    q: params.get('q') ?? undefined,
    client: params.get('client') ?? undefined,
    batch: params.get('batch') ?? undefined,
    bucket: params.get('bucket') ?? undefined,
    status: params.get('status') ?? undefined,
    min: params.get('min') ?? undefined,
    max: params.get('max') ?? undefined,
  };
  const [filters, setFilters] = useState<Filters>(initial);
  const query: Query = {
    q: filters.q,
    client: filters.client,
    batch: filters.batch,
    bucket: filters.bucket,
    status: filters.status,
    min_balance_minor: filters.min ? (parseAmountToMinor(filters.min) ?? undefined) : undefined,
    max_balance_minor: filters.max ? (parseAmountToMinor(filters.max) ?? undefined) : undefined,
  };

  const apply = (values: Filters) => {
    setFilters(values);
    const next = new URLSearchParams();
    for (const [key, value] of Object.entries(values)) if (value) next.set(key, String(value));
    setParams(next, { replace: true });
  };
  /** The filters in force as the list's query parameters, for saving and exporting. */
  const queryValues = (): FilterValues => {
    const values: FilterValues = {};
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') values[key] = String(value);
    }
    return values;
  };
  const applySaved = (saved: FilterValues) => {
    const next: Filters = {
      q: saved.q,
      client: saved.client,
      batch: saved.batch,
      bucket: saved.bucket,
      status: saved.status,
      min: amountText(saved.min_balance_minor),
      max: amountText(saved.max_balance_minor),
    };
    form.resetFields();
    form.setFieldsValue(next);
    apply(next);
  };
  const tooMany = listed !== null && (listed.capped || listed.total > exportRowCap);
  const exportList = async () => {
    setExporting(true);
    try {
      await download('/exports/accounts.xlsx', { ...queryValues(), lang: i18n.language }, 'accounts.xlsx');
      message.success(t('exportXlsx.done'));
    } catch (caught) {
      message.error(errorText(caught));
    } finally {
      setExporting(false);
    }
  };
  const amountRule = {
    validator: (_rule: unknown, value: string | undefined) =>
      !value || parseAmountToMinor(value) !== null
        ? Promise.resolve()
        : Promise.reject(new Error(t('validation.amount'))),
  };

  return (
    <section aria-labelledby="accounts-title">
      <Typography.Title id="accounts-title" level={4} style={{ marginTop: 0 }}>
        {t('accounts.title')}
      </Typography.Title>
      <Card size="small" style={{ marginBottom: 16 }}>
        <Form<Filters>
          form={form}
          layout="inline"
          initialValues={initial}
          onFinish={apply}
          style={{ rowGap: 8 }}
        >
          <Form.Item name="q" label={t('accounts.search')}>
            <Input
              allowClear
              placeholder={t('accounts.searchPlaceholder')}
              style={{ width: 240 }}
              aria-label={t('accounts.search')}
            />
          </Form.Item>
          {!hasRole('client') || hasRole('admin') ? (
            <Form.Item name="client" label={t('common.client')}>
              <ClientSelect />
            </Form.Item>
          ) : null}
          <Form.Item name="batch" label={t('accounts.batch')}>
            <Input allowClear style={{ width: 100 }} aria-label={t('accounts.batch')} />
          </Form.Item>
          <Form.Item name="bucket" label={t('accounts.bucket')}>
            <Select
              allowClear
              aria-label={t('accounts.bucket')}
              style={{ width: 100 }}
              options={buckets.map((bucket) => ({ value: bucket, label: bucket }))}
            />
          </Form.Item>
          <Form.Item name="status" label={t('common.status')}>
            <Select
              allowClear
              aria-label={t('common.status')}
              style={{ width: 120 }}
              options={accountStatuses.map((status) => ({
                value: status,
                label: tDynamic(`status.${status}`),
              }))}
            />
          </Form.Item>
          <Form.Item label={t('accounts.balanceRange')} style={{ marginInlineEnd: 16 }}>
            <Space.Compact>
              <Form.Item name="min" noStyle rules={[amountRule]}>
                <Input
                  style={{ width: 110 }}
                  placeholder={t('accounts.min')}
                  aria-label={t('accounts.min')}
                />
              </Form.Item>
              <Form.Item name="max" noStyle rules={[amountRule]}>
                <Input
                  style={{ width: 110 }}
                  placeholder={t('accounts.max')}
                  aria-label={t('accounts.max')}
                />
              </Form.Item>
            </Space.Compact>
          </Form.Item>
          <Space>
            <Button type="primary" htmlType="submit">
              {t('common.search')}
            </Button>
            <Button
              onClick={() => {
                form.resetFields();
                form.setFieldsValue({
                  q: undefined,
                  client: undefined,
                  batch: undefined,
                  bucket: undefined,
                  status: undefined,
                  min: undefined,
                  max: undefined,
                });
                apply({});
              }}
            >
              {t('common.reset')}
            </Button>
          </Space>
        </Form>
      </Card>
      <Space wrap style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }}>
        <SavedFilters list="accounts" current={queryValues} onPick={applySaved} />
        <Space wrap>
          <Typography.Text type="secondary">
            {t('exportXlsx.cap', { cap: exportRowCap.toLocaleString(i18n.language) })}
          </Typography.Text>
          <Tooltip
            title={
              tooMany ? t('exportXlsx.tooMany', { cap: exportRowCap.toLocaleString(i18n.language) }) : ''
            }
          >
            <Button
              icon={<DownloadOutlined />}
              loading={exporting}
              disabled={tooMany || listed?.total === 0}
              onClick={exportList}
            >
              {t('exportXlsx.button')}
            </Button>
          </Tooltip>
        </Space>
      </Space>
      <ServerTable<AccountRow>
        path="/accounts"
        query={query}
        onLoaded={onLoaded}
        label={t('accounts.title')}
        rowKey="id"
        columns={[
          {
            title: t('accounts.ref'),
            key: 'ref',
            render: (_value, row) => (
              <Link to={`/accounts/${row.id}`}>
                {pick<string>(row, 'ref', 'client_account_ref') ?? `#${row.id}`}
              </Link>
            ),
          },
          {
            title: t('accounts.debtor'),
            key: 'debtor',
            render: (_v, row) => pick<string>(row, 'debtor_name', 'name'),
          },
          {
            title: t('common.client'),
            key: 'client',
            render: (_v, row) => pick<string>(row, 'client', 'client_code'),
          },
          {
            title: t('common.status'),
            dataIndex: 'status',
            key: 'status',
            render: (status: string) => <StatusTag status={status} />,
          },
          { title: t('accounts.bucket'), dataIndex: 'bucket', key: 'bucket' },
          {
            title: t('accounts.dpd'),
            key: 'dpd',
            align: 'right',
            render: (_v, row) => (
              <span className="hk-num">{pick<number>(row, 'dpd', 'days_past_due') ?? '—'}</span>
            ),
          },
          {
            title: t('accounts.balance'),
            key: 'balance',
            align: 'right',
            render: (_v, row) => (
              <Money value={pick(row, 'balance_minor', 'total_minor')} currency={row.currency} />
            ),
          },
        ]}
      />
    </section>
  );
}
