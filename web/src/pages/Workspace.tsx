/**
 * The agent workspace (坐席工作台, /workspace and /workspace/:accountId): the day's work on one screen.
 * Left the queue (the current account highlighted; N the next, J / K down and up), centre the account
 * (debtor, masked contacts, balance by component, DPD and bucket, score band, segment and arm, open
 * promise and plan, last contacts), right the actions, each one key away (C call, A attempt, P promise,
 * L plan, S settlement, B call-back, H hardship, V visit, M message; Esc closes) — never while typing.
 * Contact actions show the rule gate's verdict first and are disabled when refused or when the agent's
 * training record is not current.
 */
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  List,
  Row,
  Space,
  Spin,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { useAuth } from '../auth.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { GateReasons } from '../components/GateReasons.tsx';
import { Money } from '../components/Money.tsx';
import { ProposalModal } from '../components/ProposalModal.tsx';
import { StatusTag } from '../components/StatusTag.tsx';
import { formatDate, formatInstant } from '../format.ts';
import { useApi } from '../hooks.ts';
import { tDynamic } from '../i18n.ts';
import { type Minor, sumMinor } from '../money.ts';
import { type AccountDetail, pick } from '../types.ts';
import type { ChannelsState } from './account/ChannelsTab.tsx';
import { CallDialog, channelAllowed, MessageDialog, refusalOf } from './workspace/contact.tsx';
import {
  AttemptDialog,
  type AttemptOutcome,
  CallbackDialog,
  HardshipDialog,
  PlanDialog,
  PromiseDialog,
  VisitDialog,
} from './workspace/forms.tsx';
import {
  actionKeys,
  commandOf,
  type Disposition,
  followUpOf,
  moveIndex,
  nextIndex,
  type WorkspaceAction,
  workspaceActions,
  zoneOfDebtor,
} from './workspace/model.ts';
import { ScriptCard } from './workspace/ScriptCard.tsx';

interface QueueItem {
  account_id: number | string;
  ref: string;
  debtor_name: string;
  currency: string;
  balance_minor: Minor;
  tier: string;
  due: string | null;
  score_band: number | null;
  expected_minor: Minor | null;
}

interface Actions {
  attempts: {
    id: number;
    disposition: string;
    channel: string;
    notes: string | null;
    agent: string;
    at: string;
  }[];
  promises: { id: number; amount_minor: Minor; currency: string; due_on: string; status: string }[];
  plans: {
    id: number;
    total_minor: Minor;
    currency: string;
    status: string;
    instalments: { n: number; due_on: string; amount_minor: Minor; status: string }[];
  }[];
  callbacks: { id: number; due_at: string; zone: string; status: string; note: string | null }[];
}

interface Treatment {
  treatment: { version: number; segment: string; arm: string; next_step: string | null } | null;
}

interface Training {
  current: boolean;
  courses: { title: string; required: boolean; status: string; expires_on: string | null }[];
}

type Open = WorkspaceAction | 'attemptAfterCall' | null;

export default function Workspace() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { accountId } = useParams();
  const { user, hasRole } = useAuth();
  const [queueKey, setQueueKey] = useState(0);
  const [refreshKey, setRefreshKey] = useState(0);
  const [open, setOpen] = useState<Open>(null);
  const [attemptId, setAttemptId] = useState<number | null>(null);
  const queue = useApi<{ agent: string; items: QueueItem[] }>('/worklist/queue', undefined, queueKey);
  const items = queue.data?.items ?? [];
  const id = accountId ?? null;
  const account = useApi<AccountDetail>(id ? `/accounts/${id}` : null, undefined, refreshKey);
  const actions = useApi<Actions>(id ? `/accounts/${id}/actions` : null, undefined, refreshKey);
  const treatment = useApi<Treatment>(id ? `/accounts/${id}/treatment` : null, undefined, refreshKey);
  const channels = useApi<ChannelsState>(id ? `/accounts/${id}/channels` : null, undefined, refreshKey);
  const isAgent = hasRole('agent');
  const training = useApi<Training>(isAgent && user ? `/training/users/${user.username}` : null);
  const untrained = isAgent && training.data !== undefined && !training.data.current;
  const canAct = hasRole('agent', 'supervisor');

  const index = items.findIndex((item) => String(item.account_id) === id);

  // without an account in the address: the first of the queue
  useEffect(() => {
    if (!id && items[0]) navigate(`/workspace/${items[0].account_id}`, { replace: true });
  }, [id, items, navigate]);

  const move = useCallback(
    (direction: 'next' | 'down' | 'up') => {
      if (items.length === 0) {
        message.info(t('workspace.queueEmpty'));
        return;
      }
      const target =
        direction === 'next'
          ? nextIndex(
              items.map((item) => String(item.account_id)),
              id,
            )
          : moveIndex(index, items.length, direction);
      const item = items[target];
      if (!item || target === index) {
        message.info(direction === 'up' ? t('workspace.atStart') : t('workspace.atEnd'));
        return;
      }
      navigate(`/workspace/${item.account_id}`);
    },
    [items, index, id, navigate, message, t],
  );

  const after = useCallback(
    (text: string) => {
      message.success(text);
      setOpen(null);
      setAttemptId(null);
      setRefreshKey((value) => value + 1);
      setQueueKey((value) => value + 1);
    },
    [message],
  );

  const callAllowed = channelAllowed(channels.data, 'call');
  const messageAllowed = channelAllowed(channels.data, 'sms') || channelAllowed(channels.data, 'email');
  const disabledOf = (action: WorkspaceAction): boolean => {
    if (!canAct || !id || !account.data) return true;
    // the server closes every contact action to an agent whose training is not current (not settlements)
    if (untrained) return action !== 'settle';
    if (action === 'call') return !callAllowed;
    if (action === 'message') return !messageAllowed;
    return false;
  };

  const start = (action: WorkspaceAction) => {
    if (disabledOf(action)) return;
    setAttemptId(null);
    setOpen(action);
  };

  // the latest handler, read by one listener for the page's life
  const onKeyRef = useRef<(event: KeyboardEvent) => void>(() => {});
  onKeyRef.current = (event: KeyboardEvent) => {
    const command = commandOf(event, open !== null);
    if (!command) return;
    event.preventDefault();
    if (command.kind === 'close') setOpen(null);
    else if (command.kind === 'action') start(command.action);
    else move(command.kind);
  };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => onKeyRef.current(event);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const onAttempt = (attempt: AttemptOutcome) => {
    setRefreshKey((value) => value + 1);
    setQueueKey((value) => value + 1);
    const follow = followUpOf(attempt.disposition as Disposition);
    setAttemptId(attempt.id);
    if (follow === 'promise' || follow === 'callback' || follow === 'hardship') setOpen(follow);
    else {
      setOpen(null);
      message.success(
        attempt.hold_id !== null ? t('workspace.attempt.holdRecorded') : t('workspace.attempt.logged'),
      );
    }
  };

  const detail = account.data;
  const currency = detail?.currency ?? 'CNY';
  const parts: object = detail?.balance ?? detail ?? {};
  const balance =
    pick<Minor>(parts, 'total_minor', 'balance_minor') ??
    sumMinor([
      pick<Minor>(parts, 'principal_minor'),
      pick<Minor>(parts, 'interest_minor'),
      pick<Minor>(parts, 'fees_minor'),
      pick<Minor>(parts, 'penalty_minor'),
    ]);
  const current = items[index];
  const debtor = detail?.debtor;
  const country =
    (detail && (pick<string>(detail, 'country') ?? pick<string>(debtor ?? {}, 'country'))) || 'CN';
  const debtorZone = zoneOfDebtor(country);
  const openPromises = (actions.data?.promises ?? []).filter((promise) => promise.status === 'open');
  const livePlans = (actions.data?.plans ?? []).filter(
    (plan) => plan.status === 'active' || plan.status === 'pending_approval',
  );
  const dueCallbacks = (actions.data?.callbacks ?? []).filter((callback) => callback.status === 'due');

  return (
    <section aria-labelledby="workspace-title">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }} wrap>
        <Typography.Title id="workspace-title" level={4} style={{ margin: 0 }}>
          {t('workspace.title')}
        </Typography.Title>
        <Typography.Text type="secondary">{t('workspace.keys')}</Typography.Text>
      </Space>
      <Row gutter={[12, 12]}>
        <Col xs={24} lg={5}>
          <Card size="small" title={t('workspace.queue')} styles={{ body: { padding: 0 } }}>
            <ErrorAlert error={queue.error} />
            <List<QueueItem>
              aria-label={t('workspace.queue')}
              size="small"
              loading={queue.loading && !queue.data}
              dataSource={items}
              locale={{ emptyText: t('workspace.queueEmpty') }}
              style={{ maxHeight: 640, overflowY: 'auto' }}
              renderItem={(item) => {
                const here = String(item.account_id) === id;
                return (
                  <List.Item
                    aria-current={here ? 'true' : undefined}
                    data-account={String(item.account_id)}
                    onClick={() => navigate(`/workspace/${item.account_id}`)}
                    style={{
                      cursor: 'pointer',
                      padding: '6px 10px',
                      background: here ? '#e6f4ff' : undefined,
                      borderInlineStart: here ? '3px solid #1677ff' : '3px solid transparent',
                    }}
                  >
                    <Space direction="vertical" size={0} style={{ width: '100%' }}>
                      <Space style={{ justifyContent: 'space-between', width: '100%' }}>
                        <Typography.Text strong>{item.ref}</Typography.Text>
                        <Money value={item.balance_minor} currency={item.currency} />
                      </Space>
                      <Space size={4}>
                        <span>{item.debtor_name}</span>
                        <Tag style={{ marginInlineEnd: 0 }}>
                          {tDynamic(`queue.tiers.${item.tier}`, item.tier)}
                        </Tag>
                      </Space>
                    </Space>
                  </List.Item>
                );
              }}
            />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          {!id && !queue.loading && <Empty description={t('workspace.queueEmpty')} />}
          {id && account.loading && !detail && <Spin style={{ display: 'block', margin: '60px auto' }} />}
          <ErrorAlert error={account.error} />
          {detail && (
            <Space direction="vertical" style={{ width: '100%' }} size={12}>
              <Card
                size="small"
                title={
                  <Space wrap>
                    <span data-testid="workspace-account">
                      {t('workspace.account', {
                        ref: pick<string>(detail, 'ref', 'client_account_ref') ?? `#${detail.id}`,
                      })}
                    </span>
                    <StatusTag status={detail.status} />
                    {detail.bucket && <Tag color="orange">{detail.bucket}</Tag>}
                  </Space>
                }
                extra={<Link to={`/accounts/${detail.id}`}>{t('workspace.fullPage')}</Link>}
              >
                <Descriptions column={{ xs: 1, sm: 2 }} size="small">
                  <Descriptions.Item label={t('workspace.debtor')}>
                    {debtor?.name ?? pick(detail, 'debtor_name')}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('workspace.dpd')}>
                    {pick<number>(detail, 'dpd', 'days_past_due') ?? '—'}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('workspace.band')}>
                    {current?.score_band ?? t('workspace.unscored')}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('workspace.segment')}>
                    {treatment.data?.treatment
                      ? `${treatment.data.treatment.segment} / ${treatment.data.treatment.arm}`
                      : '—'}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('workspace.contacts')} span={2}>
                    <Space wrap>
                      {(debtor?.contact_points ?? []).map((point) => (
                        <Tag key={String(point.id)}>
                          {tDynamic(`account.contactKinds.${point.kind}`, point.kind)} {point.masked}
                        </Tag>
                      ))}
                      {(debtor?.contact_points ?? []).length === 0 && '—'}
                    </Space>
                  </Descriptions.Item>
                </Descriptions>
                <Descriptions column={{ xs: 2, sm: 5 }} size="small" bordered layout="vertical">
                  {(['principal', 'interest', 'fees', 'penalty'] as const).map((component) => (
                    <Descriptions.Item key={component} label={t(`components.${component}`)}>
                      <Money value={pick<Minor>(parts, `${component}_minor`) ?? 0} currency={currency} />
                    </Descriptions.Item>
                  ))}
                  <Descriptions.Item label={t('workspace.balance')}>
                    <strong>
                      <Money value={balance} currency={currency} />
                    </strong>
                  </Descriptions.Item>
                </Descriptions>
              </Card>
              {id && <ScriptCard accountId={id} refreshKey={refreshKey} />}
              <Card size="small" title={t('workspace.arrangements')}>
                <ErrorAlert error={actions.error} />
                <Space direction="vertical" size={4} data-testid="workspace-arrangements">
                  {openPromises.map((promise) => (
                    <span key={`p${promise.id}`}>
                      {t('workspace.openPromise', {
                        due: formatDate(promise.due_on),
                      })}{' '}
                      <Money value={promise.amount_minor} currency={promise.currency} />
                    </span>
                  ))}
                  {livePlans.map((plan) => (
                    <span key={`l${plan.id}`}>
                      {t('workspace.livePlan', {
                        status: tDynamic(`workspace.planStatus.${plan.status}`, plan.status),
                        count: plan.instalments.length,
                      })}{' '}
                      <Money value={plan.total_minor} currency={plan.currency} />
                    </span>
                  ))}
                  {dueCallbacks.map((callback) => (
                    <span key={`c${callback.id}`}>
                      {t('workspace.dueCallback', {
                        at: formatInstant(callback.due_at),
                        zone: callback.zone,
                      })}
                    </span>
                  ))}
                  {openPromises.length + livePlans.length + dueCallbacks.length === 0 && (
                    <Typography.Text type="secondary">{t('workspace.noArrangements')}</Typography.Text>
                  )}
                </Space>
              </Card>
              <Card size="small" title={t('workspace.lastContacts')}>
                <List
                  size="small"
                  dataSource={(actions.data?.attempts ?? []).slice(0, 5)}
                  locale={{ emptyText: t('workspace.noContacts') }}
                  renderItem={(attempt) => (
                    <List.Item>
                      <Space wrap>
                        <Typography.Text type="secondary">{formatInstant(attempt.at)}</Typography.Text>
                        <Tag>{tDynamic(`workspace.channels.${attempt.channel}`, attempt.channel)}</Tag>
                        <span>
                          {tDynamic(`workspace.dispositions.${attempt.disposition}`, attempt.disposition)}
                        </span>
                        <Typography.Text type="secondary">{attempt.agent}</Typography.Text>
                        {attempt.notes && <span>{attempt.notes}</span>}
                      </Space>
                    </List.Item>
                  )}
                />
              </Card>
            </Space>
          )}
        </Col>
        <Col xs={24} lg={7}>
          <Card size="small" title={t('workspace.actions')}>
            <Space direction="vertical" style={{ width: '100%' }}>
              {untrained && (
                <Alert
                  type="error"
                  showIcon
                  message={t('workspace.untrained', {
                    courses: (training.data?.courses ?? [])
                      .filter((course) => course.required && course.status !== 'current')
                      .map((course) => course.title)
                      .join('、'),
                  })}
                />
              )}
              {detail && channels.data && (
                <section aria-label={t('workspace.gate')} data-testid="workspace-gate">
                  <Typography.Text strong>{t('workspace.gateCall')}</Typography.Text>
                  <div>
                    {callAllowed ? (
                      <GateReasons verdict="allow" reasons={[]} />
                    ) : (
                      <GateReasons verdict="deny" reasons={refusalOf(channels.data, 'call')} />
                    )}
                  </div>
                  <Typography.Text strong>{t('workspace.gateMessage')}</Typography.Text>
                  <div>
                    {messageAllowed ? (
                      <GateReasons verdict="allow" reasons={[]} />
                    ) : (
                      <GateReasons
                        verdict="deny"
                        reasons={[...refusalOf(channels.data, 'sms'), ...refusalOf(channels.data, 'email')]}
                      />
                    )}
                  </div>
                </section>
              )}
              <ErrorAlert error={channels.error} />
              {workspaceActions.map((action) => (
                <Button
                  key={action}
                  block
                  style={{ textAlign: 'start', justifyContent: 'flex-start' }}
                  aria-keyshortcuts={actionKeys[action]}
                  disabled={disabledOf(action)}
                  onClick={() => start(action)}
                >
                  <Tag style={{ fontFamily: 'monospace' }}>{actionKeys[action]}</Tag>
                  {t(`workspace.action.${action}`)}
                </Button>
              ))}
              <Button block type="primary" aria-keyshortcuts="N" onClick={() => move('next')}>
                <Tag style={{ fontFamily: 'monospace' }}>N</Tag>
                {t('workspace.next')}
              </Button>
            </Space>
          </Card>
        </Col>
      </Row>
      {id && detail && open === 'attempt' && (
        <AttemptDialog accountId={id} channel="other" onClose={() => setOpen(null)} onLogged={onAttempt} />
      )}
      {id && detail && open === 'attemptAfterCall' && (
        <AttemptDialog accountId={id} channel="call" onClose={() => setOpen(null)} onLogged={onAttempt} />
      )}
      {id && detail && open === 'promise' && (
        <PromiseDialog
          accountId={id}
          currency={currency}
          balanceMinor={balance}
          attemptId={attemptId}
          onClose={() => setOpen(null)}
          onDone={() => after(t('workspace.promise.saved'))}
        />
      )}
      {id && detail && open === 'plan' && (
        <PlanDialog
          accountId={id}
          currency={currency}
          balanceMinor={balance}
          onClose={() => setOpen(null)}
          onDone={() => after(t('workspace.plan.saved'))}
        />
      )}
      {id && detail && open === 'callback' && (
        <CallbackDialog
          accountId={id}
          attemptId={attemptId}
          debtorZone={debtorZone}
          onClose={() => setOpen(null)}
          onDone={() => after(t('workspace.callback.saved'))}
        />
      )}
      {id && detail && open === 'hardship' && (
        <HardshipDialog
          accountId={id}
          onClose={() => setOpen(null)}
          onDone={() => after(t('workspace.hardship.saved'))}
        />
      )}
      {id && detail && open === 'visit' && (
        <VisitDialog
          accountId={id}
          address={[debtor?.region, debtor?.city, debtor?.address].filter(Boolean).join(' ')}
          onClose={() => setOpen(null)}
          onDone={() => after(t('workspace.visit.saved'))}
        />
      )}
      {id && detail && open === 'call' && (
        <CallDialog
          accountId={id}
          state={channels.data}
          onClose={() => {
            setOpen(null);
            setRefreshKey((value) => value + 1);
          }}
          onDialled={() => setOpen('attemptAfterCall')}
        />
      )}
      {id && detail && open === 'message' && (
        <MessageDialog
          accountId={id}
          state={channels.data}
          onClose={() => setOpen(null)}
          onSent={() => setRefreshKey((value) => value + 1)}
        />
      )}
      {id && detail && (
        <ProposalModal
          accountId={id}
          currency={currency}
          balanceMinor={balance}
          open={open === 'settle'}
          onClose={() => setOpen(null)}
          onDone={() => after(t('workspace.settleSent'))}
        />
      )}
    </section>
  );
}
