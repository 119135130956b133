/**
 * The compliance console's holds across accounts (GET /compliance/holds): filtered by kind, status,
 * client, account and the day recorded, in pages, each linked to its account; compliance,
 * supervisors and admins lift a hold in force with a reason (POST /holds/:id/lift).
 */
import { App, Button, DatePicker, InputNumber, Select, Space, Table, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, errorText } from '../../api.ts';
import { useAuth } from '../../auth.tsx';
import { ClientSelect } from '../../components/ClientSelect.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { type HoldStatus, holdKinds, holdStatusColour, holdStatuses } from '../../components/holds.ts';
import { confirmWithReason } from '../../components/ReasonDialog.tsx';
import { formatInstant } from '../../format.ts';
import { useApi } from '../../hooks.ts';
import { tDynamic } from '../../i18n.ts';

interface HoldRow {
  id: number;
  client_code: string;
  account_id: number | null;
  account_ref: string | null;
  link_account_id: number | null;
  kind: string;
  source: string;
  note: string | null;
  starts_at: string;
  ends_at: string | null;
  recorded_by: string;
  recorded_at: string;
  lifted_by: string | null;
  lift_reason: string | null;
  status: HoldStatus;
}

const pageSize = 50;

export default function HoldsTab() {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const { hasRole } = useAuth();
  const canLift = hasRole('compliance', 'supervisor', 'admin');
  const [kind, setKind] = useState<string>('all');
  const [status, setStatus] = useState<string>('active');
  const [client, setClient] = useState<string | undefined>();
  const [account, setAccount] = useState<number | null>(null);
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [page, setPage] = useState(1);
  const [refreshKey, setRefreshKey] = useState(0);
  const { data, error, loading } = useApi<{ items: HoldRow[]; total: number; total_capped: boolean }>(
    '/compliance/holds',
    {
      ...(kind === 'all' ? {} : { kind }),
      ...(status === 'all' ? {} : { status }),
      client,
      account: account ?? undefined,
      from: range?.[0]?.format('YYYY-MM-DD'),
      to: range?.[1]?.format('YYYY-MM-DD'),
      page,
      page_size: pageSize,
    },
    refreshKey,
  );
  const filtered =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setPage(1);
    };

  const lift = (hold: HoldRow) =>
    confirmWithReason(
      modal,
      t,
      {
        title: t('holds.lift'),
        okText: t('holds.lift'),
        summary: `${tDynamic(`holds.kinds.${hold.kind}`, hold.kind)} · ${hold.client_code} ${hold.account_ref ?? t('holds.wholeDebtor')}`,
        onOk: async (reason) => {
          try {
            await api.post(`/holds/${hold.id}/lift`, { reason });
            message.success(t('console.holdList.lifted'));
            setRefreshKey((value) => value + 1);
          } catch (caught) {
            message.error(errorText(caught));
            throw caught;
          }
        },
      },
      (text) => message.warning(text),
    );

  return (
    <>
      <Typography.Paragraph type="secondary">{t('console.holdList.explain')}</Typography.Paragraph>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          aria-label={t('holds.kind')}
          value={kind}
          onChange={filtered(setKind)}
          style={{ width: 150 }}
          options={[
            { value: 'all', label: t('console.holdList.all') },
            ...holdKinds.map((value) => ({ value, label: tDynamic(`holds.kinds.${value}`, value) })),
          ]}
        />
        <Select
          aria-label={t('holds.status')}
          value={status}
          onChange={filtered(setStatus)}
          style={{ width: 120 }}
          options={[
            { value: 'all', label: t('console.holdList.all') },
            ...holdStatuses.map((value) => ({ value, label: tDynamic(`holds.statuses.${value}`, value) })),
          ]}
        />
        <ClientSelect value={client} onChange={filtered(setClient)} />
        <InputNumber
          aria-label={t('console.holdList.account')}
          placeholder={t('console.holdList.account')}
          min={1}
          precision={0}
          value={account}
          onChange={filtered(setAccount)}
          style={{ width: 130 }}
        />
        <DatePicker.RangePicker
          aria-label={t('console.holdList.recorded')}
          placeholder={[t('console.holdList.recordedFrom'), t('console.holdList.recordedTo')]}
          value={range}
          onChange={(value) => filtered(setRange)(value as [Dayjs | null, Dayjs | null] | null)}
        />
      </Space>
      <ErrorAlert error={error} />
      <Table<HoldRow>
        aria-label={t('console.holdList.tab')}
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={data?.items ?? []}
        locale={{ emptyText: t('holds.none') }}
        pagination={{
          current: page,
          pageSize,
          total: data?.total ?? 0,
          onChange: setPage,
          showSizeChanger: false,
          showTotal: (total) =>
            data?.total_capped
              ? t('common.totalCapped', { count: total })
              : t('common.total', { count: total }),
        }}
        columns={[
          {
            title: t('holds.kind'),
            key: 'kind',
            render: (_v, hold) => tDynamic(`holds.kinds.${hold.kind}`, hold.kind),
          },
          {
            title: t('holds.status'),
            key: 'status',
            width: 90,
            render: (_v, hold) => (
              <Tag color={holdStatusColour[hold.status]}>
                {tDynamic(`holds.statuses.${hold.status}`, hold.status)}
              </Tag>
            ),
          },
          { title: t('common.client'), dataIndex: 'client_code', key: 'client', width: 90 },
          {
            title: t('console.holdList.account'),
            key: 'account',
            render: (_v, hold) => {
              const text = hold.account_ref ?? t('holds.wholeDebtor');
              return hold.link_account_id ? (
                <Link to={`/accounts/${hold.link_account_id}`}>{text}</Link>
              ) : (
                text
              );
            },
          },
          { title: t('holds.from'), key: 'from', render: (_v, hold) => formatInstant(hold.starts_at) },
          { title: t('holds.until'), key: 'until', render: (_v, hold) => formatInstant(hold.ends_at) },
          {
            title: t('holds.source'),
            key: 'source',
            render: (_v, hold) => tDynamic(`holds.sources.${hold.source}`, hold.source),
          },
          {
            title: t('common.by'),
            key: 'by',
            render: (_v, hold) => (
              <Space direction="vertical" size={0}>
                {hold.recorded_by}
                <Typography.Text type="secondary">{formatInstant(hold.recorded_at)}</Typography.Text>
              </Space>
            ),
          },
          {
            title: t('holds.note'),
            key: 'note',
            render: (_v, hold) =>
              hold.lift_reason ? `${hold.lifted_by ?? ''}: ${hold.lift_reason}` : (hold.note ?? ''),
          },
          ...(canLift
            ? [
                {
                  title: t('common.actions'),
                  key: 'lift',
                  render: (_v: unknown, hold: HoldRow) =>
                    hold.status === 'active' || hold.status === 'scheduled' ? (
                      <Button size="small" onClick={() => lift(hold)}>
                        {t('holds.lift')}
                      </Button>
                    ) : null,
                },
              ]
            : []),
        ]}
      />
    </>
  );
}
