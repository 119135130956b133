/**
 * Holds & consent of an account (src/compliance/routes.ts): the holds the rule gate enforces with
 * their history, the lost-contact (失联) state, consent, agreed contacts and the US validation
 * notice. Compliance, supervisors and admins add and lift holds and set or clear the lost-contact
 * state; agents record what they hear on the phone (a dispute, a cease request, an opt-out).
 */
import { App, Button, Descriptions, Form, Input, List, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { formatDate, formatInstant } from '../format.ts';
import { useApi } from '../hooks.ts';
import { tDynamic } from '../i18n.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { type HoldStatus, holdKinds, holdSources, holdStatusColour } from './holds.ts';
import { confirmWithReason } from './ReasonDialog.tsx';

interface Hold {
  id: number;
  account_id: number | null;
  kind: string;
  source: string;
  note: string | null;
  starts_at: string;
  ends_at: string | null;
  recorded_by: string;
  lifted_by: string | null;
  lift_reason: string | null;
  status: HoldStatus;
  verification_required: boolean;
}

interface Consent {
  id: number;
  kind: string;
  channel: string | null;
  given_at: string;
  expires_at: string | null;
  current: boolean;
}

interface AgreedContact {
  id: number;
  kind: string;
  masked: string;
  holder_name: string | null;
  relation: string | null;
}

interface LostContact {
  lost: boolean;
  history: { set_at: string; set_by: string; set_reason: string }[];
}

interface Notice {
  sent_on: string;
  assumed_receipt: string;
  period_ends_on: string;
  verification_sent_on: string | null;
}

// what an agent may record (the server refuses the other kinds from agents)
const agentKinds = ['dispute', 'cease', 'opt_out_call', 'opt_out_sms', 'opt_out_email'];

export function HoldsPanel({ accountId }: { accountId: string }) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const { hasRole } = useAuth();
  const [refreshKey, setRefreshKey] = useState(0);
  const reload = () => setRefreshKey((value) => value + 1);
  const holds = useApi<{ items: Hold[] }>(`/accounts/${accountId}/holds`, undefined, refreshKey);
  const lost = useApi<LostContact>(`/accounts/${accountId}/lost-contact`, undefined, refreshKey);
  const consents = useApi<{ items: Consent[] }>(`/accounts/${accountId}/consents`, undefined, refreshKey);
  const agreed = useApi<{ items: AgreedContact[] }>(
    `/accounts/${accountId}/agreed-contacts`,
    undefined,
    refreshKey,
  );
  const notice = useApi<{ notice: Notice | null }>(
    `/accounts/${accountId}/validation-notice`,
    undefined,
    refreshKey,
  );
  const canManage = hasRole('compliance', 'supervisor', 'admin');
  const canRecord = canManage || hasRole('agent');
  const kinds = canManage ? holdKinds : agentKinds;
  const [form] = Form.useForm<{ kind: string; source: string; note?: string }>();
  const [busy, setBusy] = useState(false);

  const withReason = (title: string, okText: string, send: (reason: string) => Promise<unknown>) =>
    confirmWithReason(
      modal,
      t,
      {
        title,
        okText,
        onOk: async (reason) => {
          try {
            await send(reason);
            reload();
          } catch (caught) {
            message.error(errorText(caught));
            throw caught;
          }
        },
      },
      (text) => message.warning(text),
    );

  const state = lost.data;
  const current = notice.data?.notice ?? null;
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <ErrorAlert error={holds.error ?? lost.error ?? consents.error ?? agreed.error ?? notice.error} />
      <Space wrap>
        <Typography.Text strong>{t('holds.lostContact')}</Typography.Text>
        {state?.lost ? (
          <Tag color="volcano">{t('holds.lost', { since: formatInstant(state.history[0]?.set_at) })}</Tag>
        ) : (
          <Tag>{t('holds.notLost')}</Tag>
        )}
        {canManage && state && (
          <Button
            size="small"
            onClick={() =>
              state.lost
                ? withReason(t('holds.clearLost'), t('holds.clearLost'), (reason) =>
                    api.post(`/accounts/${accountId}/lost-contact/clear`, { reason }),
                  )
                : withReason(t('holds.setLost'), t('holds.setLost'), (reason) =>
                    api.post(`/accounts/${accountId}/lost-contact`, { reason }),
                  )
            }
          >
            {state.lost ? t('holds.clearLost') : t('holds.setLost')}
          </Button>
        )}
      </Space>
      <Table<Hold>
        aria-label={t('holds.title')}
        size="small"
        rowKey={(hold) => String(hold.id)}
        loading={holds.loading}
        dataSource={holds.data?.items ?? []}
        locale={{ emptyText: t('holds.none') }}
        pagination={false}
        columns={[
          {
            title: t('holds.kind'),
            key: 'kind',
            render: (_v, hold) => (
              <Space size={4}>
                {tDynamic(`holds.kinds.${hold.kind}`, hold.kind)}
                {hold.verification_required && <Tag color="purple">{t('holds.verificationRequired')}</Tag>}
              </Space>
            ),
          },
          {
            title: t('holds.status'),
            key: 'status',
            render: (_v, hold) => (
              <Tag color={holdStatusColour[hold.status]}>
                {tDynamic(`holds.statuses.${hold.status}`, hold.status)}
              </Tag>
            ),
          },
          {
            title: t('holds.scope'),
            key: 'scope',
            render: (_v, hold) =>
              hold.account_id === null ? t('holds.wholeDebtor') : t('holds.thisAccount'),
          },
          { title: t('holds.from'), key: 'from', render: (_v, hold) => formatInstant(hold.starts_at) },
          { title: t('holds.until'), key: 'until', render: (_v, hold) => formatInstant(hold.ends_at) },
          {
            title: t('holds.source'),
            key: 'source',
            render: (_v, hold) => tDynamic(`holds.sources.${hold.source}`, hold.source),
          },
          { title: t('common.by'), dataIndex: 'recorded_by', key: 'recorded_by' },
          {
            title: t('holds.note'),
            key: 'note',
            render: (_v, hold) => hold.lift_reason ?? hold.note ?? '',
          },
          ...(canManage
            ? [
                {
                  title: '',
                  key: 'lift',
                  render: (_v: unknown, hold: Hold) =>
                    hold.status === 'active' || hold.status === 'scheduled' ? (
                      <Button
                        size="small"
                        onClick={() =>
                          withReason(t('holds.lift'), t('holds.lift'), (reason) =>
                            api.post(`/holds/${hold.id}/lift`, { reason }),
                          )
                        }
                      >
                        {t('holds.lift')}
                      </Button>
                    ) : null,
                },
              ]
            : []),
        ]}
      />
      {canRecord && (
        <Form
          form={form}
          layout="inline"
          aria-label={t('holds.add')}
          onFinish={async (values) => {
            setBusy(true);
            try {
              await api.post(`/accounts/${accountId}/holds`, {
                kind: values.kind,
                source: values.source,
                ...(values.note?.trim() ? { note: values.note.trim() } : {}),
              });
              form.resetFields();
              message.success(t('holds.added'));
              reload();
            } catch (caught) {
              message.error(errorText(caught));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item name="kind" rules={[{ required: true, message: t('validation.required') }]}>
            <Select
              aria-label={t('holds.kind')}
              placeholder={t('holds.kind')}
              style={{ width: 180 }}
              options={kinds.map((kind) => ({ value: kind, label: tDynamic(`holds.kinds.${kind}`, kind) }))}
            />
          </Form.Item>
          <Form.Item name="source" rules={[{ required: true, message: t('validation.required') }]}>
            <Select
              aria-label={t('holds.source')}
              placeholder={t('holds.source')}
              style={{ width: 160 }}
              options={holdSources.map((source) => ({
                value: source,
                label: tDynamic(`holds.sources.${source}`, source),
              }))}
            />
          </Form.Item>
          <Form.Item name="note">
            <Input aria-label={t('holds.note')} placeholder={t('holds.note')} maxLength={2000} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('holds.add')}
          </Button>
        </Form>
      )}
      <Descriptions size="small" column={1} title={t('holds.consents')}>
        {(consents.data?.items ?? []).map((consent) => (
          <Descriptions.Item
            key={consent.id}
            label={tDynamic(`holds.consentKinds.${consent.kind}`, consent.kind)}
          >
            <Space size={4}>
              {consent.channel
                ? tDynamic(`holds.channels.${consent.channel}`, consent.channel)
                : t('holds.allChannels')}
              <span>
                {formatInstant(consent.given_at)} – {formatInstant(consent.expires_at)}
              </span>
              {consent.current ? (
                <Tag color="green">{t('holds.current')}</Tag>
              ) : (
                <Tag>{t('holds.notCurrent')}</Tag>
              )}
            </Space>
          </Descriptions.Item>
        ))}
      </Descriptions>
      <List<AgreedContact>
        size="small"
        header={<Typography.Text strong>{t('holds.agreedContacts')}</Typography.Text>}
        dataSource={agreed.data?.items ?? []}
        locale={{ emptyText: t('holds.noAgreedContacts') }}
        renderItem={(contact) => (
          <List.Item>
            <Space>
              <span>{contact.holder_name}</span>
              <Typography.Text type="secondary">{contact.relation}</Typography.Text>
              <span>{contact.masked}</span>
            </Space>
          </List.Item>
        )}
      />
      {current && (
        <Descriptions size="small" column={{ xs: 1, sm: 2 }} title={t('holds.validationNotice')}>
          <Descriptions.Item label={t('holds.sentOn')}>{formatDate(current.sent_on)}</Descriptions.Item>
          <Descriptions.Item label={t('holds.assumedReceipt')}>
            {formatDate(current.assumed_receipt)}
          </Descriptions.Item>
          <Descriptions.Item label={t('holds.periodEndsOn')}>
            {formatDate(current.period_ends_on)}
          </Descriptions.Item>
          <Descriptions.Item label={t('holds.verificationSentOn')}>
            {formatDate(current.verification_sent_on)}
          </Descriptions.Item>
        </Descriptions>
      )}
    </Space>
  );
}
