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
import { api, errorText, itemsOf } from '../api.ts';
import { useAuth } from '../auth.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
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
              ...(contactPointId !== undefined ? { contact_point_id: Number(contactPointId) } : {}),
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

function LedgerTab({ accountId }: { accountId: string }) {
  const { t } = useTranslation();
  const [page, setPage] = useState(1);
  const { data, error, loading } = useApi<unknown>(`/accounts/${accountId}/ledger`, { page, page_size: 50 });
  const entries = itemsOf<LedgerEntry>(data);
  const total = (data as { total?: number } | undefined)?.total ?? entries.length;
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
        pagination={{ current: page, pageSize: 50, total, onChange: setPage, showSizeChanger: false }}
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
            render: (_v, entry) => (
              <Money
                value={sumMinor(
                  entry.postings.map((p) => (BigInt(p.amount_minor) > 0n ? p.amount_minor : 0)),
                )}
                currency={entry.currency}
              />
            ),
          },
          { title: t('account.externalId'), dataIndex: 'external_id', key: 'external_id' },
          { title: t('common.by'), dataIndex: 'created_by', key: 'created_by' },
          { title: t('common.reason'), dataIndex: 'reason', key: 'reason' },
        ]}
      />
    </>
  );
}

function TimelineTab({ accountId, refreshKey }: { accountId: string; refreshKey: number }) {
  const { t } = useTranslation();
  const { data, error, loading } = useApi<unknown>(`/accounts/${accountId}/timeline`, undefined, refreshKey);
  const events = itemsOf<TimelineEvent>(data);
  if (loading) return <Spin />;
  return (
    <>
      <ErrorAlert error={error} />
      {events.length === 0 ? (
        <Empty description={t('account.noTimeline')} />
      ) : (
        <Timeline
          items={events.map((event, index) => {
            const kind = pick<string>(event, 'kind', 'type', 'action') ?? '';
            return {
              key: index,
              content: (
                <div>
                  <Typography.Text strong>{tDynamic(`timelineKinds.${kind}`, kind)}</Typography.Text>{' '}
                  <Typography.Text type="secondary">
                    {formatInstant(pick<string>(event, 'at', 'occurred_at', 'created_at'))} ·{' '}
                    {pick<string>(event, 'actor', 'by') ?? '—'}
                  </Typography.Text>
                  <div>{pick<string>(event, 'summary', 'text')}</div>
                  {event.amount_minor !== undefined && (
                    <Money value={event.amount_minor} currency={event.currency} />
                  )}
                </div>
              ),
            };
          })}
        />
      )}
    </>
  );
}

function NotesTab({
  accountId,
  notes,
  canWrite,
  onAdded,
}: {
  accountId: string;
  notes: Note[];
  canWrite: boolean;
  onAdded: () => void;
}) {
  const { t } = useTranslation();
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
  const balance =
    pick<Minor>(account, 'balance_minor', 'total_minor') ??
    sumMinor([account.principal_minor, account.interest_minor, account.fees_minor, account.penalty_minor]);
  const debtor = account.debtor;
  const notes: Note[] = Array.isArray(account.notes)
    ? account.notes
    : typeof account.notes === 'string' && account.notes
      ? [{ text: account.notes }]
      : [];
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
          {hasRole('agent') && (
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
                  <Money value={pick<Minor>(account, `${component}_minor`) ?? 0} currency={currency} />
                </Descriptions.Item>
              ))}
              <Descriptions.Item label={t('account.totalBalance')}>
                <strong>
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
              children: <TimelineTab accountId={id} refreshKey={refreshKey} />,
            },
            {
              key: 'notes',
              label: t('account.notes'),
              children: (
                <NotesTab
                  accountId={id}
                  notes={notes}
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
