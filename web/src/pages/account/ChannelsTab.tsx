/**
 * The account page's "Channels" tab (GET /accounts/:id/channels): every contact point of the debtor
 * with its state (valid / invalid / do-not-contact, opt-outs, consents), per channel the verdict the
 * rule gate would give now in plain words and the latest message or call; and, for agents and
 * supervisors, sending an SMS or e-mail from an approved template to a point the gate allows, with
 * the text rendered for this account before sending and the outcome (sent, or refused with reasons).
 */
import { Alert, Button, Descriptions, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../../api.ts';
import { useAuth } from '../../auth.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { GateReasons, type GateVerdict } from '../../components/GateReasons.tsx';
import { formatInstant } from '../../format.ts';
import { useApi } from '../../hooks.ts';
import { tDynamic } from '../../i18n.ts';

type PointChannel = 'call' | 'sms' | 'email';

interface Preview {
  verdict: GateVerdict;
  reasons: string[];
  jurisdiction: string;
  profile_version: number;
}

interface LastMessage {
  id: number;
  channel: string;
  status: string;
  verdict: string | null;
  reasons: string[];
  created_at: string;
}

export interface Point {
  id: number;
  kind: 'phone' | 'email';
  party: 'debtor' | 'agreed_contact';
  value: string;
  status: string;
  holder_name: string | null;
  relation: string | null;
  opt_outs: { id: number; channel: PointChannel; source: string; since: string }[];
  consents: {
    id: number;
    kind: string;
    channel: string | null;
    source: string;
    given_at: string;
    current: boolean;
  }[];
  channels: { channel: PointChannel; preview: Preview; last: LastMessage | null }[];
}

export interface ChannelsState {
  account_id: number;
  at: string;
  points: Point[];
}

interface TemplateRow {
  id: number;
  code: string;
  channel: string;
  language: 'zh-CN' | 'en';
  version: number;
  status: string;
}

interface Rendered {
  template: { id: number; code: string; version: number; language: string };
  subject: string | null;
  body: string;
  disclosures: string[];
  text: string;
}

interface SendResult {
  message: { id: number; status: string; reasons: string[]; error: string | null };
  repeated: boolean;
}

const statusColour: Record<string, string> = {
  valid: 'green',
  unverified: 'default',
  invalid: 'red',
  do_not_contact: 'red',
};
const messageColour: Record<string, string> = {
  blocked: 'red',
  failed: 'red',
  undelivered: 'red',
  sent: 'blue',
  delivered: 'green',
};

function newKey(): string {
  return typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** Send an SMS or e-mail from an approved template: choose it, read it filled in, send. */
export function SendFromTemplate({
  accountId,
  point,
  channel,
  onClose,
  onSent,
}: {
  accountId: string;
  point: Point;
  channel: 'sms' | 'email';
  onClose: () => void;
  onSent: () => void;
}) {
  const { t } = useTranslation();
  const templates = useApi<{ items: TemplateRow[] }>('/templates', { channel, status: 'approved' });
  // the codes with an approved version, and the languages each has
  const codes = useMemo(() => {
    const byCode = new Map<string, Set<'zh-CN' | 'en'>>();
    for (const row of templates.data?.items ?? []) {
      if (row.status !== 'approved') continue;
      const languages = byCode.get(row.code) ?? new Set();
      languages.add(row.language);
      byCode.set(row.code, languages);
    }
    return byCode;
  }, [templates.data]);
  const [code, setCode] = useState<string | null>(null);
  const [language, setLanguage] = useState<'zh-CN' | 'en' | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<SendResult | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  // one key per dialog: a double click or a retry after a lost answer sends once
  const [key] = useState(newKey);
  const languages = code ? [...(codes.get(code) ?? [])] : [];
  const chosenLanguage = language && languages.includes(language) ? language : (languages[0] ?? null);
  const preview = useApi<Rendered>(
    code && chosenLanguage ? `/accounts/${accountId}/messages/from-template/preview` : null,
    {
      channel,
      template_code: code ?? '',
      language: chosenLanguage ?? undefined,
      contact_point_id: point.id,
    },
  );
  const channelName = t(`channelsTab.channels.${channel}`);

  async function send() {
    if (!code || !chosenLanguage) return;
    setBusy(true);
    setFailure(null);
    try {
      const sent = await api.post<SendResult>(`/accounts/${accountId}/messages/from-template`, {
        channel,
        template_code: code,
        language: chosenLanguage,
        contact_point_id: String(point.id),
        idempotency_key: key,
      });
      setResult(sent);
      onSent();
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  }

  const status = result?.message.status;
  return (
    <Modal
      open
      destroyOnHidden
      title={t('channelsTab.sendTitle', { channel: channelName, point: point.value })}
      onCancel={onClose}
      footer={
        result
          ? [
              <Button key="close" onClick={onClose}>
                {t('channelsTab.close')}
              </Button>,
            ]
          : [
              <Button key="cancel" onClick={onClose}>
                {t('common.cancel')}
              </Button>,
              <Button
                key="send"
                type="primary"
                loading={busy}
                disabled={!preview.data || preview.loading}
                onClick={send}
              >
                {t('channelsTab.send')}
              </Button>,
            ]
      }
    >
      <Space direction="vertical" style={{ width: '100%' }}>
        <ErrorAlert error={templates.error} />
        <Space wrap>
          <Select
            aria-label={t('channelsTab.template')}
            placeholder={t('channelsTab.pickTemplate')}
            style={{ width: 240 }}
            loading={templates.loading}
            value={code}
            disabled={result !== null}
            onChange={(value: string) => setCode(value)}
            notFoundContent={t('channelsTab.noTemplates', { channel: channelName })}
            options={[...codes.keys()].sort().map((value) => ({ value, label: value }))}
          />
          <Select
            aria-label={t('channelsTab.language')}
            style={{ width: 120 }}
            value={chosenLanguage}
            disabled={languages.length < 2 || result !== null}
            onChange={(value: 'zh-CN' | 'en') => setLanguage(value)}
            options={languages.map((value) => ({ value, label: value }))}
          />
        </Space>
        <ErrorAlert error={preview.error} />
        {preview.data && (
          <section aria-label={t('channelsTab.preview')}>
            <Typography.Text strong>{t('channelsTab.preview')}</Typography.Text>
            {preview.data.subject && (
              <Typography.Paragraph style={{ margin: '4px 0' }}>
                <strong>{preview.data.subject}</strong>
              </Typography.Paragraph>
            )}
            <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: '4px 0' }}>
              {preview.data.body}
            </Typography.Paragraph>
            <Typography.Text type="secondary">{t('channelsTab.disclosures')}</Typography.Text>
            <ul style={{ margin: '4px 0', paddingInlineStart: 20 }}>
              {preview.data.disclosures.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          </section>
        )}
        {failure !== null && <Alert type="error" showIcon message={errorText(failure)} />}
        {result && status === 'blocked' && (
          <Alert
            type="error"
            showIcon
            message={t('channelsTab.blocked')}
            description={<GateReasons verdict="deny" reasons={result.message.reasons} showTag={false} />}
          />
        )}
        {result && status === 'failed' && (
          <Alert
            type="error"
            showIcon
            message={t('channelsTab.failed', { error: result.message.error ?? '' })}
          />
        )}
        {result && status !== 'blocked' && status !== 'failed' && (
          <Alert
            type="success"
            showIcon
            message={`${t('channelsTab.sent')}（${tDynamic(`channelsTab.status.${status}`, status)}）`}
          />
        )}
      </Space>
    </Modal>
  );
}

export function ChannelsTab({ accountId }: { accountId: string }) {
  const { t } = useTranslation();
  const { hasRole } = useAuth();
  const [refreshKey, setRefreshKey] = useState(0);
  const state = useApi<ChannelsState>(`/accounts/${accountId}/channels`, undefined, refreshKey);
  const [sending, setSending] = useState<{ point: Point; channel: 'sms' | 'email' } | null>(null);
  const canSend = hasRole('agent', 'supervisor');

  const channelLine = (point: Point, channel: PointChannel) =>
    point.channels.find((entry) => entry.channel === channel);

  return (
    <>
      <Typography.Paragraph type="secondary">{t('channelsTab.explain')}</Typography.Paragraph>
      <ErrorAlert error={state.error} />
      <Table<Point>
        aria-label={t('channelsTab.tab')}
        size="small"
        rowKey="id"
        loading={state.loading}
        dataSource={state.data?.points ?? []}
        pagination={false}
        locale={{ emptyText: t('channelsTab.none') }}
        columns={[
          {
            title: t('channelsTab.point'),
            key: 'point',
            render: (_value, point) => (
              <Space direction="vertical" size={2}>
                <Space>
                  <Tag>{tDynamic(`account.contactKinds.${point.kind}`, point.kind)}</Tag>
                  <span>{point.value}</span>
                </Space>
                <Typography.Text type="secondary">
                  {t(`channelsTab.parties.${point.party}`)}
                  {point.holder_name ? `：${point.holder_name}` : ''}
                  {point.relation ? `（${point.relation}）` : ''}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t('channelsTab.state'),
            key: 'state',
            render: (_value, point) => (
              <Space direction="vertical" size={2}>
                <Tag color={statusColour[point.status] ?? 'default'}>
                  {tDynamic(`contactStatus.${point.status}`, point.status)}
                </Tag>
                {point.opt_outs.map((optOut) => (
                  <Tag key={optOut.id} color="red">
                    {t('channelsTab.optedOut', {
                      channel: t(`channelsTab.channels.${optOut.channel}`),
                      since: formatInstant(optOut.since),
                    })}
                  </Tag>
                ))}
                {point.consents
                  .filter((consent) => consent.current)
                  .map((consent) => (
                    <Tag key={consent.id} color="blue">
                      {t('channelsTab.consent', {
                        kind: tDynamic(`holds.consentKinds.${consent.kind}`, consent.kind),
                        date: formatInstant(consent.given_at),
                        source: tDynamic(`holds.sources.${consent.source}`, consent.source),
                      })}
                    </Tag>
                  ))}
              </Space>
            ),
          },
          {
            title: t('channelsTab.verdictNow'),
            key: 'verdict',
            render: (_value, point) => (
              <Space direction="vertical" size={6}>
                {point.channels.map((entry) => (
                  <Space key={entry.channel} align="start" data-channel={entry.channel}>
                    <Typography.Text strong style={{ minWidth: 48, display: 'inline-block' }}>
                      {t(`channelsTab.channels.${entry.channel}`)}
                    </Typography.Text>
                    <GateReasons verdict={entry.preview.verdict} reasons={entry.preview.reasons} />
                  </Space>
                ))}
              </Space>
            ),
          },
          {
            title: t('channelsTab.last'),
            key: 'last',
            render: (_value, point) => (
              <Space direction="vertical" size={2}>
                {point.channels.map((entry) =>
                  entry.last ? (
                    <Space key={entry.channel} size={4} wrap>
                      <span>{t(`channelsTab.channels.${entry.channel}`)}</span>
                      <Tag color={messageColour[entry.last.status] ?? 'default'}>
                        {tDynamic(`channelsTab.status.${entry.last.status}`, entry.last.status)}
                      </Tag>
                      <Typography.Text type="secondary">
                        {formatInstant(entry.last.created_at)}
                      </Typography.Text>
                      {entry.last.status === 'blocked' && (
                        <GateReasons verdict="deny" reasons={entry.last.reasons} showTag={false} />
                      )}
                    </Space>
                  ) : (
                    <Typography.Text key={entry.channel} type="secondary">
                      {t(`channelsTab.channels.${entry.channel}`)}：{t('channelsTab.never')}
                    </Typography.Text>
                  ),
                )}
              </Space>
            ),
          },
          ...(canSend
            ? [
                {
                  title: t('channelsTab.actions'),
                  key: 'actions',
                  render: (_value: unknown, point: Point) => {
                    const channel = point.kind === 'email' ? 'email' : 'sms';
                    const line = channelLine(point, channel);
                    if (!line || line.preview.verdict === 'deny') return null;
                    return (
                      <Button size="small" onClick={() => setSending({ point, channel })}>
                        {channel === 'email' ? t('channelsTab.sendEmail') : t('channelsTab.sendSms')}
                      </Button>
                    );
                  },
                },
              ]
            : []),
        ]}
      />
      {state.data && (
        <Descriptions size="small" style={{ marginTop: 8 }}>
          <Descriptions.Item label={t('channelsTab.checkedAt')}>
            {formatInstant(state.data.at)}
          </Descriptions.Item>
        </Descriptions>
      )}
      {sending && (
        <SendFromTemplate
          accountId={accountId}
          point={sending.point}
          channel={sending.channel}
          onClose={() => setSending(null)}
          onSent={() => setRefreshKey((value) => value + 1)}
        />
      )}
    </>
  );
}
