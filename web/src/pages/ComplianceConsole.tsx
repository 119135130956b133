import {
  App,
  Button,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Select,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText, itemsOf } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { type GateVerdict, gateReasonText, verdictColour } from '../components/GateReasons.tsx';
import { formatDate, formatInstant } from '../format.ts';
import { useApi } from '../hooks.ts';
import HoldsTab from './compliance/HoldsTab.tsx';
import ProfilesTab from './compliance/ProfilesTab.tsx';

interface QaCase {
  id: number;
  account_id: number;
  agent: string;
  excerpt: string;
  findings: { category: string; matched: string; at: number }[];
  status: 'open' | 'confirmed' | 'dismissed';
  opened_at: string;
  decided_by: string | null;
}

interface Course {
  id: number;
  code: string;
  title: string;
  validity_months: number;
  required: boolean;
}

interface Expiring {
  username: string;
  course: string;
  title: string;
  expires_on: string;
}

interface Due {
  debtor_id: number;
  client_id: number;
  jurisdiction: string;
  retention_years: number;
  last_activity_at: string;
  accounts: number;
}

interface LegalHold {
  id: number;
  client_id: number;
  debtor_id: number | null;
  account_id: number | null;
  reason: string;
  placed_by: string;
  placed_at: string;
  released_at: string | null;
}

/** The compliance console: QA cases, training records and the retention queue with its legal holds. */
export default function ComplianceConsole() {
  const { t } = useTranslation();
  const { user } = useAuth();
  const roles = user?.roles ?? [];
  const retentionAllowed = roles.includes('compliance') || roles.includes('admin');
  const items = [
    { key: 'verdicts', label: t('console.verdicts.tab'), children: <Verdicts /> },
    { key: 'profiles', label: t('console.profiles.tab'), children: <ProfilesTab /> },
    { key: 'holds', label: t('console.holdList.tab'), children: <HoldsTab /> },
    { key: 'qa', label: t('console.qa.tab'), children: <QaCases /> },
    { key: 'training', label: t('console.training.tab'), children: <Training /> },
    ...(retentionAllowed
      ? [{ key: 'retention', label: t('console.retention.tab'), children: <Retention /> }]
      : []),
  ];
  return (
    <section aria-labelledby="console-title">
      <Typography.Title id="console-title" level={4}>
        {t('console.title')}
      </Typography.Title>
      <Tabs items={items} />
    </section>
  );
}

interface Verdict {
  id: number;
  account_id: number;
  actor: string;
  channel: string;
  verdict: GateVerdict;
  reasons: string[];
  decided_at: string;
}

/** The gate's verdicts, newest first, filtered by verdict and channel, the reasons in plain words. */
function Verdicts() {
  const { t } = useTranslation();
  const [verdict, setVerdict] = useState<Verdict['verdict'] | 'all'>('deny');
  const [channel, setChannel] = useState<string>('all');
  const [page, setPage] = useState(1);
  const { data, error, loading } = useApi<{ items: Verdict[]; total: number }>('/compliance/verdicts', {
    ...(verdict === 'all' ? {} : { verdict }),
    ...(channel === 'all' ? {} : { channel }),
    page,
    page_size: 50,
  });
  return (
    <>
      <Typography.Paragraph type="secondary">{t('console.verdicts.explain')}</Typography.Paragraph>
      <Space style={{ marginBottom: 12 }}>
        <Select
          aria-label={t('console.verdicts.verdict')}
          value={verdict}
          onChange={(value) => {
            setVerdict(value);
            setPage(1);
          }}
          style={{ width: 160 }}
          options={[
            { value: 'all', label: t('console.verdicts.all') },
            ...(['deny', 'allow_with_conditions', 'allow'] as const).map((value) => ({
              value,
              label: t(`console.verdicts.kinds.${value}`),
            })),
          ]}
        />
        <Select
          aria-label={t('console.verdicts.channel')}
          value={channel}
          onChange={(value) => {
            setChannel(value);
            setPage(1);
          }}
          style={{ width: 140 }}
          options={['all', 'call', 'sms', 'email', 'letter', 'visit'].map((value) => ({
            value,
            label: value === 'all' ? t('console.verdicts.all') : value,
          }))}
        />
      </Space>
      <ErrorAlert error={error} />
      <Table<Verdict>
        aria-label={t('console.verdicts.tab')}
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={data?.items ?? []}
        locale={{ emptyText: t('common.empty') }}
        pagination={{
          current: page,
          pageSize: 50,
          total: data?.total ?? 0,
          onChange: setPage,
          showSizeChanger: false,
        }}
        columns={[
          {
            title: t('console.verdicts.decidedAt'),
            dataIndex: 'decided_at',
            key: 'decided_at',
            render: formatInstant,
            width: 170,
          },
          {
            title: t('console.verdicts.verdict'),
            dataIndex: 'verdict',
            key: 'verdict',
            width: 130,
            render: (value: Verdict['verdict']) => (
              <Tag color={verdictColour[value]}>{t(`console.verdicts.kinds.${value}`)}</Tag>
            ),
          },
          { title: t('console.verdicts.channel'), dataIndex: 'channel', key: 'channel', width: 90 },
          { title: t('console.verdicts.account'), dataIndex: 'account_id', key: 'account_id', width: 90 },
          { title: t('console.verdicts.actor'), dataIndex: 'actor', key: 'actor', width: 120 },
          {
            title: t('console.verdicts.reasons'),
            key: 'reasons',
            render: (_value, row) => row.reasons.map(gateReasonText).join('；'),
          },
        ]}
      />
    </>
  );
}

function QaCases() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [status, setStatus] = useState<'open' | 'confirmed' | 'dismissed'>('open');
  const [refreshKey, setRefreshKey] = useState(0);
  const { data, error, loading } = useApi<unknown>('/qa/cases', { status }, refreshKey);
  const decide = async (id: number, decision: 'confirm' | 'dismiss') => {
    try {
      await api.post(`/qa/cases/${id}/decide`, { decision });
      message.success(t(decision === 'confirm' ? 'console.qa.confirmed' : 'console.qa.dismissed'));
      setRefreshKey((value) => value + 1);
    } catch (caught) {
      message.error(errorText(caught));
    }
  };
  return (
    <>
      <Typography.Paragraph type="secondary">{t('console.qa.explain')}</Typography.Paragraph>
      <Select
        aria-label={t('common.status')}
        value={status}
        onChange={setStatus}
        style={{ width: 160, marginBottom: 12 }}
        options={(['open', 'confirmed', 'dismissed'] as const).map((value) => ({
          value,
          label: t(`console.qa.status.${value}`),
        }))}
      />
      <ErrorAlert error={error} />
      <Table<QaCase>
        aria-label={t('console.qa.tab')}
        size="small"
        rowKey="id"
        loading={loading}
        dataSource={itemsOf<QaCase>(data)}
        locale={{ emptyText: t('common.empty') }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          {
            title: t('console.qa.opened'),
            dataIndex: 'opened_at',
            key: 'opened_at',
            render: formatInstant,
            width: 160,
          },
          { title: t('console.qa.agent'), dataIndex: 'agent', key: 'agent', width: 120 },
          { title: t('console.qa.account'), dataIndex: 'account_id', key: 'account_id', width: 90 },
          { title: t('console.qa.excerpt'), dataIndex: 'excerpt', key: 'excerpt' },
          {
            title: t('console.qa.findings'),
            key: 'findings',
            render: (_value, row) =>
              row.findings.map((finding) => (
                <Tag key={`${finding.category}-${finding.at}`} color="red">
                  {t(`console.qa.category.${finding.category as 'threat'}`)}: {finding.matched}
                </Tag>
              )),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 170,
            render: (_value, row) =>
              row.status === 'open' ? (
                <Space>
                  <Button size="small" danger onClick={() => decide(row.id, 'confirm')}>
                    {t('console.qa.confirm')}
                  </Button>
                  <Button size="small" onClick={() => decide(row.id, 'dismiss')}>
                    {t('console.qa.dismiss')}
                  </Button>
                </Space>
              ) : (
                <Typography.Text type="secondary">{row.decided_by}</Typography.Text>
              ),
          },
        ]}
      />
    </>
  );
}

function Training() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [refreshKey, setRefreshKey] = useState(0);
  const courses = useApi<unknown>('/training/courses', undefined, refreshKey);
  const expiring = useApi<unknown>('/training/expiring', { within_days: 30 }, refreshKey);
  const [form] = Form.useForm<{ username: string; course: string; completed_on: Dayjs; score?: number }>();
  const [busy, setBusy] = useState(false);
  return (
    <>
      <Typography.Paragraph type="secondary">{t('console.training.explain')}</Typography.Paragraph>
      <ErrorAlert error={courses.error ?? expiring.error} />
      <Typography.Title level={5}>{t('console.training.courses')}</Typography.Title>
      <Table<Course>
        aria-label={t('console.training.courses')}
        size="small"
        rowKey="id"
        loading={courses.loading}
        dataSource={itemsOf<Course>(courses.data)}
        locale={{ emptyText: t('console.training.noCourses') }}
        pagination={false}
        columns={[
          { title: t('console.training.code'), dataIndex: 'code', key: 'code' },
          { title: t('console.training.course'), dataIndex: 'title', key: 'title' },
          { title: t('console.training.validity'), dataIndex: 'validity_months', key: 'validity_months' },
          {
            title: t('console.training.required'),
            dataIndex: 'required',
            key: 'required',
            render: (required: boolean) =>
              required ? <Tag color="blue">{t('console.training.yes')}</Tag> : '—',
          },
        ]}
      />
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('console.training.record')}
      </Typography.Title>
      <Form
        form={form}
        layout="inline"
        onFinish={async (values) => {
          setBusy(true);
          try {
            await api.post('/training/completions', {
              username: values.username.trim(),
              course: values.course,
              completed_on: values.completed_on.format('YYYY-MM-DD'),
              score: values.score ?? null,
            });
            message.success(t('console.training.recorded'));
            form.resetFields();
            setRefreshKey((value) => value + 1);
          } catch (caught) {
            message.error(errorText(caught));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item
          name="username"
          rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
        >
          <Input aria-label={t('console.training.user')} placeholder={t('console.training.user')} />
        </Form.Item>
        <Form.Item name="course" rules={[{ required: true, message: t('validation.required') }]}>
          <Select
            aria-label={t('console.training.course')}
            placeholder={t('console.training.course')}
            style={{ width: 200 }}
            options={itemsOf<Course>(courses.data).map((course) => ({
              value: course.code,
              label: course.title,
            }))}
          />
        </Form.Item>
        <Form.Item name="completed_on" rules={[{ required: true, message: t('validation.required') }]}>
          <DatePicker
            aria-label={t('console.training.completedOn')}
            placeholder={t('console.training.completedOn')}
          />
        </Form.Item>
        <Form.Item name="score">
          <InputNumber
            aria-label={t('console.training.score')}
            placeholder={t('console.training.score')}
            min={0}
            max={100}
          />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t('common.save')}
        </Button>
      </Form>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('console.training.expiring')}
      </Typography.Title>
      <Table<Expiring>
        aria-label={t('console.training.expiring')}
        size="small"
        rowKey={(row) => `${row.username}-${row.course}`}
        loading={expiring.loading}
        dataSource={itemsOf<Expiring>(expiring.data)}
        locale={{ emptyText: t('common.empty') }}
        pagination={false}
        columns={[
          { title: t('console.training.user'), dataIndex: 'username', key: 'username' },
          { title: t('console.training.course'), dataIndex: 'title', key: 'title' },
          {
            title: t('console.training.expires'),
            dataIndex: 'expires_on',
            key: 'expires_on',
            render: formatDate,
          },
        ]}
      />
    </>
  );
}

function Retention() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [refreshKey, setRefreshKey] = useState(0);
  const queue = useApi<{ items: Due[] }>('/retention/queue', undefined, refreshKey);
  const holds = useApi<unknown>('/retention/legal-holds', { open: 'true' }, refreshKey);
  const [form] = Form.useForm<{ client_id: number; account_id?: number; reason: string }>();
  const [busy, setBusy] = useState(false);
  return (
    <>
      <Typography.Paragraph type="secondary">{t('console.retention.explain')}</Typography.Paragraph>
      <ErrorAlert error={queue.error ?? holds.error} />
      <Table<Due>
        aria-label={t('console.retention.queue')}
        size="small"
        rowKey="debtor_id"
        loading={queue.loading}
        dataSource={queue.data?.items ?? []}
        locale={{ emptyText: t('console.retention.nothingDue') }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          { title: t('console.retention.debtor'), dataIndex: 'debtor_id', key: 'debtor_id' },
          { title: t('common.client'), dataIndex: 'client_id', key: 'client_id' },
          {
            title: t('console.retention.rule'),
            key: 'rule',
            render: (_value, row) =>
              t('console.retention.years', { jurisdiction: row.jurisdiction, years: row.retention_years }),
          },
          {
            title: t('console.retention.lastActivity'),
            dataIndex: 'last_activity_at',
            key: 'last_activity_at',
            render: formatDate,
          },
          { title: t('console.retention.accounts'), dataIndex: 'accounts', key: 'accounts' },
        ]}
      />
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('console.retention.holds')}
      </Typography.Title>
      <Form
        form={form}
        layout="inline"
        style={{ marginBottom: 12 }}
        onFinish={async (values) => {
          setBusy(true);
          try {
            await api.post('/retention/legal-holds', {
              client_id: values.client_id,
              ...(values.account_id ? { account_id: values.account_id } : {}),
              reason: values.reason.trim(),
            });
            message.success(t('console.retention.placed'));
            form.resetFields();
            setRefreshKey((value) => value + 1);
          } catch (caught) {
            message.error(errorText(caught));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item name="client_id" rules={[{ required: true, message: t('validation.required') }]}>
          <InputNumber aria-label={t('common.client')} placeholder={t('common.client')} min={1} />
        </Form.Item>
        <Form.Item name="account_id">
          <InputNumber
            aria-label={t('console.retention.account')}
            placeholder={t('console.retention.account')}
            min={1}
          />
        </Form.Item>
        <Form.Item
          name="reason"
          rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
        >
          <Input aria-label={t('common.reason')} placeholder={t('common.reason')} style={{ width: 260 }} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t('console.retention.place')}
        </Button>
      </Form>
      <Table<LegalHold>
        aria-label={t('console.retention.holds')}
        size="small"
        rowKey="id"
        loading={holds.loading}
        dataSource={itemsOf<LegalHold>(holds.data)}
        locale={{ emptyText: t('common.empty') }}
        pagination={false}
        columns={[
          { title: t('common.client'), dataIndex: 'client_id', key: 'client_id' },
          {
            title: t('console.retention.scope'),
            key: 'scope',
            render: (_value, row) =>
              row.account_id
                ? `${t('console.retention.account')} ${row.account_id}`
                : row.debtor_id
                  ? `${t('console.retention.debtor')} ${row.debtor_id}`
                  : t('console.retention.wholeClient'),
          },
          { title: t('common.reason'), dataIndex: 'reason', key: 'reason' },
          { title: t('common.by'), dataIndex: 'placed_by', key: 'placed_by' },
          {
            title: t('console.retention.placedAt'),
            dataIndex: 'placed_at',
            key: 'placed_at',
            render: formatInstant,
          },
        ]}
      />
    </>
  );
}
