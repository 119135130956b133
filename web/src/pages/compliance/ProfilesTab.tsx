/**
 * The compliance console's rule profiles (GET /compliance/profiles): each jurisdiction's rules in
 * force in plain words, a form to propose a change (the common values, and JSON for the rest),
 * the pending changes with their before → after diff and approve / reject (never by the proposer:
 * maker-checker), the decided ones, and the effective profile of a client or an account.
 */
import {
  App,
  Button,
  Card,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, errorText } from '../../api.ts';
import { useAuth } from '../../auth.tsx';
import { ClientSelect } from '../../components/ClientSelect.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { confirmWithReason } from '../../components/ReasonDialog.tsx';
import { formatInstant } from '../../format.ts';
import { useApi } from '../../hooks.ts';
import { tDynamic } from '../../i18n.ts';

type Rules = Record<string, unknown>;

interface Profile {
  jurisdiction: string;
  version: number;
  overrides: string[];
  rules: Rules;
  approved_by?: string | null;
  approved_at?: string | null;
}

interface Diff {
  rule: string;
  before: unknown;
  after: unknown;
}

interface Change {
  id: number;
  jurisdiction: string;
  scope: 'base' | 'client' | 'account';
  client_code: string | null;
  account_id: number | null;
  account_ref: string | null;
  status: 'pending' | 'approved' | 'rejected';
  version: number | null;
  reason: string;
  proposed_by: string;
  proposed_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
  diff: Diff[];
  problem: string | null;
}

interface Effective extends Profile {
  tightened: { rule: string; base: unknown; value: unknown; by: string }[];
}

const jurisdictions = ['CN', 'US', 'UK'] as const;

/** The order rules are shown in (the flattened keys the server's diffs use). */
const ruleOrder = [
  'contactHours',
  'contactHoursChannels',
  'contactHoursConsentLifts',
  'unansweredCallsPerNumberPerDay',
  'robotCallsPerDay',
  'callsPerDay',
  'callsPerWindow',
  'conversationBlockDays',
  'parties',
  'locateRequiresLostContact',
  'locateOncePerPerson',
  'locateConditions',
  'ceaseAllowsNotices',
  'countryZones',
];

const statusColour: Record<Change['status'], string> = {
  pending: 'gold',
  approved: 'green',
  rejected: 'default',
};

function ruleLabel(rule: string): string {
  return tDynamic(`console.profiles.rules.${rule.replace('.', '_')}`, rule);
}

/** A rule's value in plain words. */
function useValueText() {
  const { t } = useTranslation();
  return (rule: string, value: unknown): string => {
    if (value === null || value === undefined) {
      return rule === 'conversationBlockDays' ? t('console.profiles.none') : t('console.profiles.noCap');
    }
    if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
    if (rule.startsWith('parties.') && typeof value === 'string') {
      return tDynamic(`console.profiles.treatments.${value}`, value);
    }
    if (rule === 'conversationBlockDays' && typeof value === 'number') {
      return t('console.profiles.days', { count: value });
    }
    if (Array.isArray(value)) {
      if (value.length === 0) return t('console.profiles.none');
      const prefix =
        rule === 'locateConditions'
          ? 'console.profiles.conditions'
          : rule === 'contactHoursChannels'
            ? 'holds.channels'
            : null;
      return value
        .map((item) => (prefix ? tDynamic(`${prefix}.${item}`, String(item)) : String(item)))
        .join(t('console.profiles.listSeparator'));
    }
    if (typeof value === 'object') {
      const v = value as Record<string, unknown>;
      if ('calls' in v && 'days' in v) return t('console.profiles.window', { calls: v.calls, days: v.days });
      if ('earliest' in v && 'latest' in v) {
        return t('console.profiles.hours', { earliest: v.earliest, latest: v.latest });
      }
      return JSON.stringify(value);
    }
    return String(value);
  };
}

function DiffList({ diff }: { diff: Diff[] }) {
  const valueText = useValueText();
  return (
    <ul style={{ margin: 0, paddingInlineStart: 16 }}>
      {diff.map((d) => (
        <li key={d.rule}>
          {ruleLabel(d.rule)}: <Typography.Text delete>{valueText(d.rule, d.before)}</Typography.Text> →{' '}
          <Typography.Text strong>{valueText(d.rule, d.after)}</Typography.Text>
        </li>
      ))}
    </ul>
  );
}

/** One profile's rules, in plain words. */
function RulesList({ rules }: { rules: Rules }) {
  const { t } = useTranslation();
  const valueText = useValueText();
  const items = ruleOrder
    .filter((rule) => rule in rules)
    .map((rule) => {
      const value = rules[rule];
      let text: React.ReactNode = valueText(rule, value);
      if (rule === 'parties' && value && typeof value === 'object') {
        text = Object.entries(value as Record<string, string>)
          .map(
            ([party, treatment]) =>
              `${ruleLabel(`parties.${party}`)}: ${valueText(`parties.${party}`, treatment)}`,
          )
          .join(t('console.profiles.partySeparator'));
      }
      return { key: rule, label: ruleLabel(rule), children: text };
    });
  return <Descriptions size="small" column={1} bordered items={items} />;
}

function target(change: Change): string {
  if (change.scope === 'client') return change.client_code ?? '';
  if (change.scope === 'account') return change.account_ref ?? String(change.account_id);
  return '';
}

interface ProposeValues {
  jurisdiction: (typeof jurisdictions)[number];
  scope: Change['scope'];
  client?: string;
  account_id?: number;
  earliest?: string;
  latest?: string;
  unansweredCallsPerNumberPerDay?: number | null;
  robotCallsPerDay?: number | null;
  callsPerDay?: number | null;
  windowCalls?: number | null;
  windowDays?: number | null;
  conversationBlockDays?: number | null;
  advanced?: string;
  reason: string;
}

const capFields = [
  'unansweredCallsPerNumberPerDay',
  'robotCallsPerDay',
  'callsPerDay',
  'conversationBlockDays',
] as const;

export default function ProfilesTab() {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const { user, hasRole } = useAuth();
  const canChange = hasRole('compliance', 'admin');
  const [refreshKey, setRefreshKey] = useState(0);
  const reload = () => setRefreshKey((value) => value + 1);
  const { data, error, loading } = useApi<{ profiles: Profile[]; pending: Change[]; recent: Change[] }>(
    '/compliance/profiles',
    undefined,
    refreshKey,
  );
  const [form] = Form.useForm<ProposeValues>();
  const scope = Form.useWatch('scope', form);
  const chosen = Form.useWatch('jurisdiction', form);
  const current = data?.profiles.find((p) => p.jurisdiction === chosen)?.rules;
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<{ rule: string; reason: string }[]>([]);

  const propose = async (values: ProposeValues) => {
    let changes: Record<string, unknown> = {};
    if (values.advanced?.trim()) {
      try {
        const parsed: unknown = JSON.parse(values.advanced);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        changes = parsed as Record<string, unknown>;
      } catch {
        message.error(t('console.profiles.badJson'));
        return;
      }
    }
    const hours: Record<string, string> = {};
    if (values.earliest?.trim()) hours.earliest = values.earliest.trim();
    if (values.latest?.trim()) hours.latest = values.latest.trim();
    if (Object.keys(hours).length > 0) changes.contactHours = hours;
    for (const field of capFields) {
      const value = values[field];
      if (value !== undefined && value !== null) changes[field] = value;
    }
    if (values.windowCalls != null || values.windowDays != null) {
      const window = (current?.callsPerWindow ?? null) as { calls: number; days: number } | null;
      changes.callsPerWindow = {
        calls: values.windowCalls ?? window?.calls,
        days: values.windowDays ?? window?.days,
      };
    }
    if (Object.keys(changes).length === 0) {
      message.warning(t('console.profiles.nothingChanged'));
      return;
    }
    setBusy(true);
    setProblems([]);
    try {
      await api.post('/compliance/profile-changes', {
        jurisdiction: values.jurisdiction,
        scope: values.scope,
        ...(values.scope === 'client' ? { client: values.client } : {}),
        ...(values.scope === 'account' ? { account_id: values.account_id } : {}),
        changes,
        reason: values.reason,
      });
      message.success(t('console.profiles.proposed'));
      form.resetFields();
      reload();
    } catch (caught) {
      const details = caught instanceof ApiError ? (caught.details as { problems?: unknown } | null) : null;
      if (details && Array.isArray(details.problems)) setProblems(details.problems as typeof problems);
      message.error(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  const approve = (change: Change) =>
    modal.confirm({
      title: t('console.profiles.approveTitle', { id: change.id }),
      content: <DiffList diff={change.diff} />,
      okText: t('console.profiles.approve'),
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          const result = await api.post<Change>(`/compliance/profile-changes/${change.id}/approve`, {});
          message.success(
            t('console.profiles.approved', { jurisdiction: result.jurisdiction, version: result.version }),
          );
          reload();
        } catch (caught) {
          message.error(errorText(caught));
          throw caught;
        }
      },
    });

  const reject = (change: Change) =>
    confirmWithReason(
      modal,
      t,
      {
        title: t('console.profiles.reject'),
        okText: t('console.profiles.reject'),
        summary: <DiffList diff={change.diff} />,
        onOk: async (reason) => {
          try {
            await api.post(`/compliance/profile-changes/${change.id}/reject`, { reason });
            message.success(t('console.profiles.rejected'));
            reload();
          } catch (caught) {
            message.error(errorText(caught));
            throw caught;
          }
        },
      },
      (text) => message.warning(text),
    );

  const changeColumns = [
    { title: '#', dataIndex: 'id', key: 'id', width: 60 },
    { title: t('console.profiles.jurisdiction'), dataIndex: 'jurisdiction', key: 'jurisdiction', width: 70 },
    {
      title: t('console.profiles.scope'),
      key: 'scope',
      width: 150,
      render: (_v: unknown, change: Change) => (
        <Space direction="vertical" size={0}>
          {t(`console.profiles.scopes.${change.scope}`)}
          <Typography.Text type="secondary">{target(change)}</Typography.Text>
        </Space>
      ),
    },
    {
      title: t('console.profiles.diff'),
      key: 'diff',
      render: (_v: unknown, change: Change) => (
        <>
          <DiffList diff={change.diff} />
          {change.problem && (
            <Typography.Text type="danger">
              {t('console.profiles.problem')}: {change.problem}
            </Typography.Text>
          )}
        </>
      ),
    },
    { title: t('common.reason'), dataIndex: 'reason', key: 'reason', width: 180 },
    {
      title: t('console.profiles.proposer'),
      key: 'proposer',
      width: 150,
      render: (_v: unknown, change: Change) => (
        <Space direction="vertical" size={0}>
          {change.proposed_by}
          <Typography.Text type="secondary">{formatInstant(change.proposed_at)}</Typography.Text>
        </Space>
      ),
    },
  ];

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Paragraph type="secondary">{t('console.profiles.explain')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <Space align="start" wrap size="middle">
        {(data?.profiles ?? []).map((profile) => (
          <Card
            key={profile.jurisdiction}
            size="small"
            style={{ width: 420 }}
            title={
              <Space>
                {profile.jurisdiction}
                <Tag color="blue" data-testid={`profile-version-${profile.jurisdiction}`}>
                  {t('console.profiles.version', { version: profile.version })}
                </Tag>
              </Space>
            }
            extra={
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {profile.approved_by
                  ? t('console.profiles.approvedBy', {
                      by: profile.approved_by,
                      at: formatInstant(profile.approved_at),
                    })
                  : t('console.profiles.defaultVersion')}
              </Typography.Text>
            }
          >
            <RulesList rules={profile.rules} />
          </Card>
        ))}
      </Space>

      <Typography.Title level={5}>{t('console.profiles.pending')}</Typography.Title>
      <Table<Change>
        aria-label={t('console.profiles.pending')}
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={data?.pending ?? []}
        locale={{ emptyText: t('console.profiles.noPending') }}
        pagination={false}
        columns={[
          ...changeColumns,
          ...(canChange
            ? [
                {
                  title: t('common.actions'),
                  key: 'actions',
                  width: 170,
                  render: (_v: unknown, change: Change) => {
                    const own = change.proposed_by === user?.username;
                    const buttons = (
                      <Space>
                        <Button size="small" type="primary" disabled={own} onClick={() => approve(change)}>
                          {t('console.profiles.approve')}
                        </Button>
                        <Button size="small" danger disabled={own} onClick={() => reject(change)}>
                          {t('console.profiles.reject')}
                        </Button>
                      </Space>
                    );
                    return own ? (
                      <Tooltip title={t('console.profiles.ownChange')}>
                        <span data-testid="own-change">{buttons}</span>
                      </Tooltip>
                    ) : (
                      buttons
                    );
                  },
                },
              ]
            : []),
        ]}
      />

      {canChange && (
        <Card size="small" title={t('console.profiles.propose')}>
          <Form<ProposeValues>
            form={form}
            layout="vertical"
            aria-label={t('console.profiles.propose')}
            initialValues={{ jurisdiction: 'CN', scope: 'base' }}
            onFinish={propose}
          >
            <Space wrap align="start">
              <Form.Item
                name="jurisdiction"
                label={t('console.profiles.jurisdiction')}
                rules={[{ required: true }]}
              >
                <Select style={{ width: 100 }} options={jurisdictions.map((j) => ({ value: j, label: j }))} />
              </Form.Item>
              <Form.Item name="scope" label={t('console.profiles.scope')} rules={[{ required: true }]}>
                <Select
                  style={{ width: 200 }}
                  options={(['base', 'client', 'account'] as const).map((value) => ({
                    value,
                    label: t(`console.profiles.scopes.${value}`),
                  }))}
                />
              </Form.Item>
              {scope === 'client' && (
                <Form.Item
                  name="client"
                  label={t('common.client')}
                  rules={[{ required: true, message: t('validation.required') }]}
                >
                  <ClientSelect />
                </Form.Item>
              )}
              {scope === 'account' && (
                <Form.Item
                  name="account_id"
                  label={t('console.profiles.accountId')}
                  rules={[{ required: true, message: t('validation.required') }]}
                >
                  <InputNumber min={1} precision={0} style={{ width: 140 }} />
                </Form.Item>
              )}
            </Space>
            <Typography.Paragraph type="secondary">{t('console.profiles.unchanged')}</Typography.Paragraph>
            <Space wrap align="start">
              {(['earliest', 'latest'] as const).map((edge) => (
                <Form.Item
                  key={edge}
                  name={edge}
                  label={ruleLabel(`contactHours.${edge}`)}
                  rules={[{ pattern: /^\d{2}:\d{2}(:\d{2})?$/, message: t('console.profiles.clockFormat') }]}
                >
                  <Input
                    style={{ width: 130 }}
                    placeholder={String(
                      (current?.contactHours as Record<string, string> | undefined)?.[edge] ?? 'HH:MM',
                    )}
                  />
                </Form.Item>
              ))}
              {capFields.map((field) => (
                <Form.Item key={field} name={field} label={ruleLabel(field)}>
                  <InputNumber
                    min={0}
                    max={10000}
                    precision={0}
                    style={{ width: 150 }}
                    placeholder={current ? String(current[field] ?? '—') : ''}
                  />
                </Form.Item>
              ))}
              <Form.Item name="windowCalls" label={t('console.profiles.windowCalls')}>
                <InputNumber
                  min={0}
                  max={10000}
                  precision={0}
                  style={{ width: 130 }}
                  placeholder={String((current?.callsPerWindow as { calls?: number } | null)?.calls ?? '—')}
                />
              </Form.Item>
              <Form.Item name="windowDays" label={t('console.profiles.windowDays')}>
                <InputNumber
                  min={1}
                  max={10000}
                  precision={0}
                  style={{ width: 130 }}
                  placeholder={String((current?.callsPerWindow as { days?: number } | null)?.days ?? '—')}
                />
              </Form.Item>
            </Space>
            <Form.Item
              name="advanced"
              label={t('console.profiles.advanced')}
              extra={t('console.profiles.advancedHelp')}
            >
              <Input.TextArea rows={2} style={{ fontFamily: 'monospace' }} />
            </Form.Item>
            <Form.Item
              name="reason"
              label={t('common.reason')}
              rules={[{ required: true, whitespace: true, message: t('validation.reasonRequired') }]}
            >
              <Input.TextArea rows={2} maxLength={2000} />
            </Form.Item>
            {problems.length > 0 && (
              <ul aria-label={t('console.profiles.problem')} style={{ color: '#cf1322' }}>
                {problems.map((p) => (
                  <li key={`${p.rule}-${p.reason}`}>
                    {ruleLabel(p.rule)}: {p.reason}
                  </li>
                ))}
              </ul>
            )}
            <Button type="primary" htmlType="submit" loading={busy}>
              {t('console.profiles.propose')}
            </Button>
          </Form>
        </Card>
      )}

      <EffectiveProfile />

      <Typography.Title level={5}>{t('console.profiles.history')}</Typography.Title>
      <Table<Change>
        aria-label={t('console.profiles.history')}
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={data?.recent ?? []}
        locale={{ emptyText: t('console.profiles.noHistory') }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        columns={[
          ...changeColumns,
          {
            title: t('common.status'),
            key: 'status',
            width: 190,
            render: (_v: unknown, change: Change) => (
              <Space direction="vertical" size={0}>
                <Space size={4}>
                  <Tag color={statusColour[change.status]}>
                    {t(`console.profiles.statuses.${change.status}`)}
                  </Tag>
                  {change.version !== null && t('console.profiles.version', { version: change.version })}
                </Space>
                <Typography.Text type="secondary">
                  {change.decided_by} · {formatInstant(change.decided_at)}
                </Typography.Text>
                {change.decision_reason && <Typography.Text>{change.decision_reason}</Typography.Text>}
              </Space>
            ),
          },
        ]}
      />
    </Space>
  );
}

/** The profile the gate uses for one client or account, and what its overrides tightened. */
function EffectiveProfile() {
  const { t } = useTranslation();
  const valueText = useValueText();
  const [jurisdiction, setJurisdiction] = useState<string>('CN');
  const [client, setClient] = useState<string | undefined>();
  const [account, setAccount] = useState<number | null>(null);
  const [asked, setAsked] = useState<{ jurisdiction: string; client?: string; account?: number } | null>(
    null,
  );
  const { data, error, loading } = useApi<Effective>(
    asked ? `/compliance/profiles/${asked.jurisdiction}/effective` : null,
    asked ? { client: asked.client, account: asked.account } : undefined,
  );
  return (
    <Card size="small" title={t('console.profiles.effective')}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          aria-label={t('console.profiles.jurisdiction')}
          value={jurisdiction}
          onChange={setJurisdiction}
          style={{ width: 90 }}
          options={jurisdictions.map((j) => ({ value: j, label: j }))}
        />
        <ClientSelect value={client} onChange={setClient} />
        <InputNumber
          aria-label={t('console.profiles.accountId')}
          placeholder={t('console.profiles.accountId')}
          min={1}
          precision={0}
          value={account}
          onChange={(value) => setAccount(value)}
          style={{ width: 140 }}
        />
        <Button
          onClick={() =>
            setAsked({
              jurisdiction,
              ...(client ? { client } : {}),
              ...(account ? { account } : {}),
            })
          }
        >
          {t('console.profiles.show')}
        </Button>
      </Space>
      <ErrorAlert error={error} />
      {data && (
        <Table
          aria-label={t('console.profiles.tightened')}
          size="small"
          rowKey="rule"
          loading={loading}
          dataSource={data.tightened}
          locale={{ emptyText: t('console.profiles.noTightening') }}
          pagination={false}
          columns={[
            { title: t('console.profiles.rule'), key: 'rule', render: (_v, row) => ruleLabel(row.rule) },
            {
              title: t('console.profiles.base'),
              key: 'base',
              render: (_v, row) => valueText(row.rule, row.base),
            },
            {
              title: t('console.profiles.value'),
              key: 'value',
              render: (_v, row) => valueText(row.rule, row.value),
            },
            { title: t('console.profiles.by'), dataIndex: 'by', key: 'by' },
          ]}
        />
      )}
    </Card>
  );
}
