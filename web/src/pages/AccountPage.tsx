import { EyeOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Form,
  Input,
  List,
  Row,
  Space,
  Spin,
  Table,
  Tabs,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, errorText, itemsOf, type Page } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { GateReasons } from '../components/GateReasons.tsx';
import { HoldsPanel } from '../components/HoldsPanel.tsx';
import { Money } from '../components/Money.tsx';
import { PaymentClaimModal } from '../components/PaymentClaimModal.tsx';
import { ProposalModal } from '../components/ProposalModal.tsx';
import { StatusTag } from '../components/StatusTag.tsx';
import { formatDate, formatInstant } from '../format.ts';
import { useApi } from '../hooks.ts';
import { tDynamic } from '../i18n.ts';
import { type Minor, sumMinor } from '../money.ts';
import {
  type AccountDetail,
  type ContactPoint,
  type LedgerEntry,
  type Note,
  pick,
  type TimelineEvent,
} from '../types.ts';
import { ChannelsTab } from './account/ChannelsTab.tsx';
import { ScoreTab } from './account/ScoreTab.tsx';
import { TreatmentTab } from './account/TreatmentTab.tsx';
import { AssignmentHistoryTab } from './allocation/HistoryTab.tsx';

function RevealButton({
  accountId,
  field,
  contactPointId,
}: {
  accountId: string;
  field: 'id_number' | 'phone';
  contactPointId?: string | number;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [value, setValue] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (value) return <Typography.Text copyable>{value}</Typography.Text>;
  return (
    <Button
      size="small"
      icon={<EyeOutlined />}
      loading={busy}
      aria-label={t('account.reveal')}
      onClick={async () => {
        setBusy(true);
        try {
          const answer = await api.post<{ value?: string; [key: string]: unknown }>(
            `/accounts/${accountId}/reveal`,
            {
              field,
              ...(contactPointId !== undefined ? { contact_point_id: String(contactPointId) } : {}),
            },
          );
          setValue(String(answer.value ?? pick(answer, field, 'phone', 'id_number') ?? ''));
        } catch (caught) {
          message.error(errorText(caught));
        } finally {
          setBusy(false);
        }
      }}
    >
      {t('account.reveal')}
    </Button>
  );
}

/**
 * What an entry did to the debt: the net of its postings on the debt:* ledger accounts (placement
 * raises it, payments and discounts lower it), shown as a magnitude; entries that do not touch the
 * debt show the sum of their debits.
 */
function entryAmount(entry: LedgerEntry): string {
  const onDebt = entry.postings.filter((posting) => posting.ledger_account.startsWith('debt:'));
  if (onDebt.length > 0) {
    const net = BigInt(sumMinor(onDebt.map((posting) => posting.amount_minor)));
    return (net < 0n ? -net : net).toString();
  }
  return sumMinor(
    entry.postings.map((posting) => (BigInt(posting.amount_minor) > 0n ? posting.amount_minor : 0)),
  );
}

interface LedgerPage {
  items: LedgerEntry[];
  total: number;
  next_before_entry_id: string | number | null;
}

function LedgerTab({ accountId }: { accountId: string }) {
  const { t } = useTranslation();
  // the server pages the ledger by cursor (before_entry_id): "older" keeps the cursors walked
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const { data, error, loading } = useApi<LedgerPage>(`/accounts/${accountId}/ledger`, {
    page_size: 20,
    before_entry_id: cursor,
  });
  const entries = itemsOf<LedgerEntry>(data);
  const next = data?.next_before_entry_id;
  return (
    <>
      <ErrorAlert error={error} />
      <Table<LedgerEntry>
        aria-label={t('account.ledger')}
        size="small"
        rowKey={(entry) => String(entry.entry_id)}
        loading={loading}
        dataSource={entries}
        locale={{ emptyText: t('account.noLedger') }}
        pagination={false}
        footer={() => (
          <Space>
            <Typography.Text type="secondary">
              {t('common.total', { count: data?.total ?? 0 })}
            </Typography.Text>
            <Button
              size="small"
              disabled={cursors.length === 0}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              {t('account.newer')}
            </Button>
            <Button
              size="small"
              disabled={next === null || next === undefined}
              onClick={() => setCursors([...cursors, String(next)])}
            >
              {t('account.older')}
            </Button>
          </Space>
        )}
        expandable={{
          expandRowByClick: false,
          expandedRowRender: (entry) => (
            <Table
              aria-label={t('account.postings')}
              size="small"
              pagination={false}
              rowKey={(posting) => String(posting.line)}
              dataSource={entry.postings}
              columns={[
                { title: t('account.line'), dataIndex: 'line', key: 'line', width: 60 },
                { title: t('account.ledgerAccount'), dataIndex: 'ledger_account', key: 'ledger_account' },
                {
                  title: t('account.debit'),
                  key: 'debit',
                  align: 'right',
                  render: (_v, posting) =>
                    BigInt(posting.amount_minor) > 0n ? (
                      <Money value={posting.amount_minor} currency={entry.currency} />
                    ) : null,
                },
                {
                  title: t('account.credit'),
                  key: 'credit',
                  align: 'right',
                  render: (_v, posting) =>
                    BigInt(posting.amount_minor) < 0n ? (
                      <Money value={(-BigInt(posting.amount_minor)).toString()} currency={entry.currency} />
                    ) : null,
                },
              ]}
            />
          ),
        }}
        columns={[
          { title: t('account.entry'), dataIndex: 'entry_id', key: 'entry_id', width: 80 },
          {
            title: t('account.kind'),
            dataIndex: 'kind',
            key: 'kind',
            render: (kind: string, entry) => (
              <Space size={4}>
                {tDynamic(`ledgerKinds.${kind}`, kind)}
                {entry.reversed_by_entry_id ? <Tag color="red">{t('account.reversed')}</Tag> : null}
                {entry.reverses_entry_id ? <Tag>{t('account.reversal')}</Tag> : null}
              </Space>
            ),
          },
          {
            title: t('account.effective'),
            dataIndex: 'effective_date',
            key: 'effective_date',
            render: formatDate,
          },
          {
            title: t('common.amount'),
            key: 'amount',
            align: 'right',
            render: (_v, entry) => <Money value={entryAmount(entry)} currency={entry.currency} />,
          },
          { title: t('account.externalId'), dataIndex: 'external_id', key: 'external_id' },
          { title: t('common.by'), dataIndex: 'created_by', key: 'created_by' },
          { title: t('common.reason'), dataIndex: 'reason', key: 'reason' },
        ]}
      />
    </>
  );
}

function TimelineTab({
  accountId,
  refreshKey,
  currency,
}: {
  accountId: string;
  refreshKey: number;
  currency: string;
}) {
  const { t } = useTranslation();
  const [page, setPage] = useState(1);
  const { data, error, loading } = useApi<Page<TimelineEvent>>(
    `/accounts/${accountId}/timeline`,
    { page, page_size: 50 },
    refreshKey,
  );
  const events = itemsOf<TimelineEvent>(data);
  if (loading && !data) return <Spin />;
  const title = (event: TimelineEvent) => {
    const kind = pick<string>(event, 'kind', 'action') ?? '';
    if (event.type === 'entry') return tDynamic(`ledgerKinds.${kind}`, kind);
    if (event.type === 'note') return t('timelineKinds.note');
    return tDynamic(`timelineKinds.${kind}`, kind);
  };
  return (
    <>
      <ErrorAlert error={error} />
      {events.length === 0 ? (
        <Empty description={t('account.noTimeline')} />
      ) : (
        <>
          <Timeline
            items={events.map((event, index) => ({
              key: `${event.type}-${pick(event, 'id') ?? index}`,
              color: event.type === 'entry' ? 'green' : event.type === 'note' ? 'gray' : 'blue',
              content: (
                <div>
                  <Typography.Text strong>{title(event)}</Typography.Text>{' '}
                  <Typography.Text type="secondary">
                    {formatInstant(pick<string>(event, 'at', 'occurred_at', 'created_at'))} ·{' '}
                    {pick<string>(event, 'actor', 'by') ?? '—'}
                  </Typography.Text>
                  {event.from_status || event.to_status ? (
                    <div>
                      <StatusTag status={event.from_status} /> → <StatusTag status={event.to_status} />
                    </div>
                  ) : null}
                  {event.type === 'message' && event.to_status === 'blocked' ? (
                    // a message, letter or call the rule gate refused: its reason codes in plain words
                    <GateReasons
                      verdict="deny"
                      reasons={(event.text ?? '').split(', ').filter(Boolean)}
                      showTag={false}
                    />
                  ) : (
                    pick<string>(event, 'text', 'summary') && (
                      <div style={{ whiteSpace: 'pre-wrap' }}>{pick<string>(event, 'text', 'summary')}</div>
                    )
                  )}
                  {event.amount_minor !== undefined && event.amount_minor !== null && (
                    <div style={{ maxWidth: 160 }}>
                      <Money value={event.amount_minor} currency={event.currency ?? currency} />
                    </div>
                  )}
                </div>
              ),
            }))}
          />
          <Space>
            <Button size="small" disabled={page === 1} onClick={() => setPage(page - 1)}>
              {t('account.newer')}
            </Button>
            <Button size="small" disabled={page * 50 >= (data?.total ?? 0)} onClick={() => setPage(page + 1)}>
              {t('account.older')}
            </Button>
          </Space>
        </>
      )}
    </>
  );
}

function NotesTab({
  accountId,
  canWrite,
  refreshKey,
  onAdded,
}: {
  accountId: string;
  canWrite: boolean;
  refreshKey: number;
  onAdded: () => void;
}) {
  const { t } = useTranslation();
  // notes are part of the account's timeline (type "note"); the latest 200 events are enough for a working view
  const timeline = useApi<Page<TimelineEvent>>(
    `/accounts/${accountId}/timeline`,
    { page: 1, page_size: 200 },
    refreshKey,
  );
  const notes: Note[] = itemsOf<TimelineEvent>(timeline.data)
    .filter((event) => event.type === 'note')
    .map((event) => ({
      id: pick(event, 'id'),
      text: event.text ?? '',
      author: event.actor,
      created_at: event.at,
    }));
  const { message } = App.useApp();
  const [form] = Form.useForm<{ text: string }>();
  const [busy, setBusy] = useState(false);
  return (
    <>
      {canWrite && (
        <Form
          form={form}
          layout="vertical"
          onFinish={async (values) => {
            setBusy(true);
            try {
              await api.post(`/accounts/${accountId}/notes`, { text: values.text.trim() });
              form.resetFields();
              message.success(t('account.noteAdded'));
              onAdded();
            } catch (caught) {
              message.error(errorText(caught));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item
            name="text"
            label={t('account.newNote')}
            rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
          >
            <Input.TextArea rows={3} maxLength={2000} showCount aria-label={t('account.newNote')} />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('account.addNote')}
          </Button>
        </Form>
      )}
      <List
        style={{ marginTop: 16 }}
        dataSource={notes}
        locale={{ emptyText: t('account.noNotes') }}
        renderItem={(note) => (
          <List.Item>
            <List.Item.Meta
              title={
                <Typography.Text type="secondary">
                  {pick<string>(note, 'created_by', 'author') ?? '—'} · {formatInstant(note.created_at)}
                </Typography.Text>
              }
              description={
                <Typography.Text style={{ whiteSpace: 'pre-wrap' }}>{note.text ?? note.body}</Typography.Text>
              }
            />
          </List.Item>
        )}
      />
    </>
  );
}

export default function AccountPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const { hasRole } = useAuth();
  const [refreshKey, setRefreshKey] = useState(0);
  const { data: account, error, loading } = useApi<AccountDetail>(`/accounts/${id}`, undefined, refreshKey);
  const [claimOpen, setClaimOpen] = useState(false);
  const [proposalOpen, setProposalOpen] = useState(false);
  const canReveal = hasRole('supervisor', 'compliance', 'admin');
  const reload = () => setRefreshKey((value) => value + 1);

  if (loading && !account) return <Spin style={{ display: 'block', margin: '80px auto' }} />;
  if (error || !account) return <ErrorAlert error={error ?? new Error(t('errors.not_found'))} />;

  const currency = account.currency;
  const ref = pick<string>(account, 'ref', 'client_account_ref') ?? `#${account.id}`;
  // the detail nests the balance by component under `balance` (the list's rows carry them flat)
  const parts: object = account.balance ?? account;
  const balance =
    pick<Minor>(parts, 'total_minor', 'balance_minor') ??
    sumMinor([
      pick<Minor>(parts, 'principal_minor'),
      pick<Minor>(parts, 'interest_minor'),
      pick<Minor>(parts, 'fees_minor'),
      pick<Minor>(parts, 'penalty_minor'),
    ]);
  const debtor = account.debtor;
  const placementNote = typeof account.notes === 'string' ? account.notes : null;
  const components = ['principal', 'interest', 'fees', 'penalty', 'overpayment'] as const;

  return (
    <section aria-labelledby="account-title">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Space align="center">
          <Link to="/accounts">{t('common.back')}</Link>
          <Typography.Title id="account-title" level={4} style={{ margin: 0 }}>
            {t('account.title', { ref })}
          </Typography.Title>
          <StatusTag status={account.status} />
          {account.bucket && <Tag color="orange">{account.bucket}</Tag>}
        </Space>
        <Space>
          {hasRole('agent', 'supervisor') && (
            <Button type="primary" onClick={() => setClaimOpen(true)}>
              {t('claims.register')}
            </Button>
          )}
          {hasRole('agent', 'supervisor', 'finance') && (
            <Button onClick={() => setProposalOpen(true)}>{t('proposals.new')}</Button>
          )}
        </Space>
      </Space>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={10}>
          <Card size="small" title={t('account.debtor')}>
            <Descriptions column={1} size="small">
              <Descriptions.Item label={t('account.name')}>
                {debtor?.name ?? pick(account, 'debtor_name')}
              </Descriptions.Item>
              <Descriptions.Item label={t('account.idNumber')}>
                <Space>
                  <span>{debtor?.id_number_masked ?? '—'}</span>
                  {canReveal && debtor?.id_number_masked && <RevealButton accountId={id} field="id_number" />}
                </Space>
              </Descriptions.Item>
              <Descriptions.Item label={t('account.address')}>
                {[debtor?.region, debtor?.city, debtor?.address].filter(Boolean).join(' ') || '—'}
              </Descriptions.Item>
            </Descriptions>
            <Typography.Text strong>{t('account.contactPoints')}</Typography.Text>
            <List<ContactPoint>
              size="small"
              dataSource={debtor?.contact_points ?? []}
              locale={{ emptyText: t('account.noContacts') }}
              renderItem={(point) => (
                <List.Item>
                  <Space>
                    <Tag>{tDynamic(`account.contactKinds.${point.kind}`, point.kind)}</Tag>
                    <span>{point.masked}</span>
                    <Typography.Text type="secondary">
                      {tDynamic(`contactStatus.${point.status}`, point.status)}
                    </Typography.Text>
                  </Space>
                  {canReveal && point.kind === 'phone' && (
                    <RevealButton accountId={id} field="phone" contactPointId={point.id} />
                  )}
                </List.Item>
              )}
            />
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card size="small" title={t('account.balance')}>
            <Descriptions column={{ xs: 1, sm: 2 }} size="small" bordered>
              {components.map((component) => (
                <Descriptions.Item key={component} label={t(`components.${component}`)}>
                  <Money value={pick<Minor>(parts, `${component}_minor`) ?? 0} currency={currency} />
                </Descriptions.Item>
              ))}
              <Descriptions.Item label={t('account.totalBalance')}>
                <strong data-testid="account-total">
                  <Money value={balance} currency={currency} />
                </strong>
              </Descriptions.Item>
            </Descriptions>
            <Descriptions column={{ xs: 1, sm: 2 }} size="small" style={{ marginTop: 12 }}>
              <Descriptions.Item label={t('common.client')}>
                {pick(account, 'client', 'client_code')}
              </Descriptions.Item>
              <Descriptions.Item label={t('accounts.dpd')}>
                {pick(account, 'dpd', 'days_past_due') ?? '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('account.delinquencyDate')}>
                {formatDate(account.delinquency_date)}
              </Descriptions.Item>
              <Descriptions.Item label={t('account.product')}>
                {account.product_type ?? '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('account.originalCreditor')}>
                {account.original_creditor ?? '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('account.lastPayment')}>
                {formatDate(account.last_payment_date)}
              </Descriptions.Item>
              {placementNote && (
                <Descriptions.Item label={t('account.placementNote')}>{placementNote}</Descriptions.Item>
              )}
            </Descriptions>
          </Card>
        </Col>
      </Row>
      <Card size="small" style={{ marginTop: 16 }}>
        <Tabs
          items={[
            {
              key: 'ledger',
              label: t('account.ledger'),
              children: <LedgerTab key={refreshKey} accountId={id} />,
            },
            {
              key: 'timeline',
              label: t('account.timeline'),
              children: <TimelineTab accountId={id} refreshKey={refreshKey} currency={currency} />,
            },
            {
              key: 'holds',
              label: t('holds.tab'),
              children: <HoldsPanel accountId={id} />,
            },
            {
              key: 'channels',
              label: t('channelsTab.tab'),
              children: <ChannelsTab accountId={id} />,
            },
            {
              key: 'score',
              label: t('risk.score.tab'),
              children: <ScoreTab accountId={id} />,
            },
            // the account's place in the strategy is staff's business (the route refuses clients)
            ...(hasRole('agent', 'supervisor', 'finance', 'compliance', 'admin')
              ? [
                  {
                    key: 'treatment',
                    label: t('strategies.treatment.tab'),
                    children: <TreatmentTab accountId={id} />,
                  },
                  {
                    key: 'assignments',
                    label: t('allocation.history'),
                    children: <AssignmentHistoryTab accountId={id} />,
                  },
                ]
              : []),
            {
              key: 'notes',
              label: t('account.notes'),
              children: (
                <NotesTab
                  accountId={id}
                  refreshKey={refreshKey}
                  canWrite={hasRole('agent', 'supervisor')}
                  onAdded={reload}
                />
              ),
            },
          ]}
        />
      </Card>
      <PaymentClaimModal
        accountId={id}
        currency={currency}
        open={claimOpen}
        onClose={() => setClaimOpen(false)}
        onDone={() => {
          setClaimOpen(false);
          reload();
        }}
      />
      <ProposalModal
        accountId={id}
        currency={currency}
        balanceMinor={balance}
        open={proposalOpen}
        onClose={() => setProposalOpen(false)}
        onDone={() => {
          setProposalOpen(false);
          reload();
        }}
      />
    </section>
  );
}
