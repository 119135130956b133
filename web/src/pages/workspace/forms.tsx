/**
 * The workspace's action dialogs, each one key away: log a contact attempt (disposition by digit,
 * and the follow-up it implies), take a promise, propose a plan (instalments summing exactly to the
 * total), set a call-back (the debtor's zone and the agent's), mark hardship, record a field visit.
 * Each posts to the worklist routes (src/worklist/routes.ts) and says the server's refusal in words.
 */
import {
  Alert,
  Button,
  Checkbox,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Table,
  Typography,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../../api.ts';
import { amountRules, MoneyInput } from '../../components/MoneyInput.tsx';
import { todayIso } from '../../format.ts';
import { useApi, useSubmit } from '../../hooks.ts';
import { formatMinor, type Minor, parseAmountToMinor } from '../../money.ts';
import {
  type Disposition,
  dispositionShortcuts,
  dispositions,
  followUpOf,
  hardshipOptions,
  instantOf,
  isTyping,
  monthlyDates,
  type PlanRow,
  planProblem,
  shortcutOf,
  splitInstalments,
  wallTimeIn,
} from './model.ts';

/** What the forms say of the limits beforehand: the server still decides when it is asked. */
interface ShownLimits {
  promiseMinShareBp: number;
  promiseMaxDays: number;
  planMaxInstalments: number;
  planMaxDays: number;
  planFirstPaymentMaxDays: number;
}

/** The defaults of src/worklist/model.ts, shown until the server's own limits have loaded. */
const defaultLimits: ShownLimits = {
  promiseMinShareBp: 1000,
  promiseMaxDays: 30,
  planMaxInstalments: 12,
  planMaxDays: 365,
  planFirstPaymentMaxDays: 30,
};

/** The limits this server applies (GET /worklist/limits: its HUIKUAN_PROMISE_* and HUIKUAN_PLAN_* settings). */
function useShownLimits(): ShownLimits {
  const { data } = useApi<{
    promise_min_share_bp: number;
    promise_max_days: number;
    plan_max_instalments: number;
    plan_max_days: number;
    plan_first_payment_max_days: number;
  }>('/worklist/limits');
  if (!data) return defaultLimits;
  return {
    promiseMinShareBp: data.promise_min_share_bp,
    promiseMaxDays: data.promise_max_days,
    planMaxInstalments: data.plan_max_instalments,
    planMaxDays: data.plan_max_days,
    planFirstPaymentMaxDays: data.plan_first_payment_max_days,
  };
}

function daysFromToday(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = todayIso().split('-').map(Number) as [number, number, number];
  return Math.round((Date.UTC(y, m - 1, d) - Date.UTC(ty, tm - 1, td)) / 86_400_000);
}

export interface AttemptOutcome {
  id: number;
  disposition: Disposition;
  hold_id: number | null;
}

interface Common {
  accountId: string;
  onClose: () => void;
  onDone: () => void;
}

// ---------------------------------------------------------------- attempt

export function AttemptDialog({
  accountId,
  channel,
  onClose,
  onLogged,
}: {
  accountId: string;
  channel: 'call' | 'sms' | 'email' | 'letter' | 'visit' | 'other';
  onClose: () => void;
  onLogged: (attempt: AttemptOutcome) => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ disposition?: Disposition; notes?: string }>();
  const { busy, failure, submit } = useSubmit();
  const disposition = Form.useWatch('disposition', form);

  // digits choose the common dispositions — not while typing the notes
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      const chosen = dispositionShortcuts[event.key];
      if (chosen) {
        event.preventDefault();
        form.setFieldValue('disposition', chosen);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [form]);

  const follow = disposition ? followUpOf(disposition) : null;

  async function save(values: { disposition?: Disposition; notes?: string }) {
    await submit(async () => {
      const notes = values.notes?.trim();
      const attempt = await api.post<AttemptOutcome>(`/accounts/${accountId}/attempts`, {
        disposition: values.disposition,
        channel,
        ...(notes ? { notes } : {}),
      });
      onLogged(attempt);
    });
  }

  return (
    <Modal
      open
      destroyOnHidden
      title={t('workspace.attempt.title')}
      okText={t('workspace.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={() => form.submit()}
    >
      <Typography.Paragraph type="secondary">{t('workspace.attempt.digits')}</Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={save}>
        <Form.Item
          name="disposition"
          label={t('workspace.attempt.disposition')}
          rules={[{ required: true, message: t('validation.required') }]}
        >
          <Select
            aria-label={t('workspace.attempt.disposition')}
            showSearch={{ optionFilterProp: 'label' }}
            options={dispositions.map((value) => {
              const digit = shortcutOf(value);
              const label = t(`workspace.dispositions.${value}`);
              return { value, label: digit ? `${digit} · ${label}` : label };
            })}
          />
        </Form.Item>
        <Form.Item name="notes" label={t('workspace.attempt.notes')}>
          <Input.TextArea rows={3} maxLength={4000} aria-label={t('workspace.attempt.notes')} />
        </Form.Item>
      </Form>
      {follow && (
        <Alert
          type={follow === 'hold' ? 'warning' : 'info'}
          showIcon
          message={t(`workspace.attempt.follow.${follow}`)}
          style={{ marginBottom: 8 }}
        />
      )}
      {failure !== null && <Alert type="error" showIcon message={errorText(failure)} />}
    </Modal>
  );
}

// ---------------------------------------------------------------- promise

export function PromiseDialog({
  accountId,
  currency,
  balanceMinor,
  attemptId,
  onClose,
  onDone,
}: Common & { currency: string; balanceMinor: Minor; attemptId: number | null }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ amount: string; due_on: string }>();
  const { busy, failure, submit } = useSubmit();
  const shownLimits = useShownLimits();
  const balance = BigInt(balanceMinor);
  const minimum = (balance * BigInt(shownLimits.promiseMinShareBp) + 9_999n) / 10_000n;
  const amount = Form.useWatch('amount', form);
  const dueOn = Form.useWatch('due_on', form);
  const amountMinor = amount ? parseAmountToMinor(amount, currency) : null;
  const outside =
    (amountMinor !== null && BigInt(amountMinor) < minimum) ||
    (dueOn ? daysFromToday(dueOn) > shownLimits.promiseMaxDays : false);

  async function save(values: { amount: string; due_on: string }) {
    await submit(async () => {
      await api.post(`/accounts/${accountId}/promises`, {
        amount_minor: parseAmountToMinor(values.amount, currency),
        due_on: values.due_on,
        ...(attemptId !== null ? { attempt_id: String(attemptId) } : {}),
      });
      onDone();
    });
  }

  return (
    <Modal
      open
      destroyOnHidden
      title={t('workspace.promise.title')}
      okText={t('workspace.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={() => form.submit()}
    >
      <Typography.Paragraph type="secondary">
        {t('workspace.promise.limits', {
          minimum: formatMinor(minimum, currency),
          share: `${shownLimits.promiseMinShareBp / 100}%`,
          days: shownLimits.promiseMaxDays,
        })}
      </Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={save} initialValues={{ due_on: addDaysIso(7) }}>
        <Form.Item name="amount" label={t('workspace.promise.amount')} rules={amountRules(t, currency)}>
          <MoneyInput currency={currency} label={t('workspace.promise.amount')} />
        </Form.Item>
        <Form.Item
          name="due_on"
          label={t('workspace.promise.dueOn')}
          rules={[{ required: true, message: t('validation.required') }]}
        >
          <Input type="date" aria-label={t('workspace.promise.dueOn')} />
        </Form.Item>
      </Form>
      {outside && (
        <Alert type="warning" showIcon message={t('workspace.promise.outside')} style={{ marginBottom: 8 }} />
      )}
      {failure !== null && <Alert type="error" showIcon message={errorText(failure)} />}
    </Modal>
  );
}

function addDaysIso(days: number): string {
  const date = new Date();
  date.setDate(date.getDate() + days);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

// ---------------------------------------------------------------- plan

interface EditRow {
  key: number;
  due_on: string;
  amount: string;
}

export function PlanDialog({
  accountId,
  currency,
  balanceMinor,
  onClose,
  onDone,
}: Common & { currency: string; balanceMinor: Minor }) {
  const { t } = useTranslation();
  const [total, setTotal] = useState(formatMinor(balanceMinor, currency).replace(/[^\d.]/g, ''));
  const [count, setCount] = useState(3);
  const [first, setFirst] = useState(addDaysIso(7));
  const [rows, setRows] = useState<EditRow[]>([]);
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const { busy, failure, submit } = useSubmit();
  const shownLimits = useShownLimits();
  const totalMinor = parseAmountToMinor(total, currency);

  const parsed: PlanRow[] = useMemo(
    () =>
      rows.map((row) => {
        const minor = parseAmountToMinor(row.amount, currency);
        return { due_on: row.due_on, amount_minor: minor === null ? null : BigInt(minor) };
      }),
    [rows, currency],
  );
  const sum = parsed.reduce((acc, row) => acc + (row.amount_minor ?? 0n), 0n);
  const last = rows.at(-1)?.due_on;
  const firstDue = rows[0]?.due_on;
  const approval =
    rows.length > shownLimits.planMaxInstalments ||
    (last ? daysFromToday(last) > shownLimits.planMaxDays : false) ||
    (firstDue ? daysFromToday(firstDue) > shownLimits.planFirstPaymentMaxDays : false);

  function split() {
    if (totalMinor === null) return;
    const amounts = splitInstalments(BigInt(totalMinor), count);
    const dates = monthlyDates(first, count);
    setRows(
      amounts.map((amount, index) => ({
        key: index,
        due_on: dates[index] ?? first,
        amount: formatMinor(amount, currency).replace(/[^\d.]/g, ''),
      })),
    );
    setProblem(null);
  }

  function describe(total: bigint): string | null {
    const found = planProblem(total, parsed);
    if (!found) return null;
    switch (found.kind) {
      case 'empty':
        return t('workspace.plan.problems.empty');
      case 'amount':
        return t('workspace.plan.problems.amount', { row: found.row });
      case 'date':
        return t('workspace.plan.problems.date', { row: found.row });
      case 'order':
        return t('workspace.plan.problems.order', { row: found.row });
      case 'sum':
        return t('workspace.plan.problems.sum', {
          sum: formatMinor(found.sum, currency),
          total: formatMinor(total, currency),
          difference: formatMinor(found.difference < 0n ? -found.difference : found.difference, currency),
          direction: found.difference < 0n ? t('workspace.plan.over') : t('workspace.plan.short'),
        });
    }
  }

  async function save() {
    if (totalMinor === null || /^0+$/.test(totalMinor)) {
      setProblem(t('workspace.plan.problems.total'));
      return;
    }
    const found = describe(BigInt(totalMinor));
    setProblem(found);
    if (found) return;
    await submit(async () => {
      await api.post(`/accounts/${accountId}/plans`, {
        total_minor: totalMinor,
        instalments: parsed.map((row) => ({ due_on: row.due_on, amount_minor: String(row.amount_minor) })),
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      onDone();
    });
  }

  const update = (key: number, patch: Partial<EditRow>) =>
    setRows((current) => current.map((row) => (row.key === key ? { ...row, ...patch } : row)));

  return (
    <Modal
      open
      destroyOnHidden
      width={640}
      title={t('workspace.plan.title')}
      okText={t('workspace.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={() => void save()}
    >
      <Typography.Paragraph type="secondary">
        {t('workspace.plan.limits', {
          instalments: shownLimits.planMaxInstalments,
          days: shownLimits.planMaxDays,
          first: shownLimits.planFirstPaymentMaxDays,
        })}
      </Typography.Paragraph>
      <Space wrap align="end" style={{ marginBottom: 8 }}>
        <div>
          <div>{t('workspace.plan.total')}</div>
          <MoneyInput
            currency={currency}
            label={t('workspace.plan.total')}
            value={total}
            onChange={setTotal}
          />
        </div>
        <div>
          <div>{t('workspace.plan.count')}</div>
          <InputNumber
            aria-label={t('workspace.plan.count')}
            min={1}
            max={60}
            value={count}
            onChange={(value) => setCount(Number(value ?? 1))}
          />
        </div>
        <div>
          <div>{t('workspace.plan.first')}</div>
          <Input
            type="date"
            aria-label={t('workspace.plan.first')}
            value={first}
            onChange={(e) => setFirst(e.target.value)}
          />
        </div>
        <Button onClick={split} disabled={totalMinor === null}>
          {t('workspace.plan.split')}
        </Button>
      </Space>
      <Table<EditRow>
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={rows}
        locale={{ emptyText: t('workspace.plan.noRows') }}
        columns={[
          { title: '#', key: 'n', width: 40, render: (_v, _row, index) => index + 1 },
          {
            title: t('workspace.plan.dueOn'),
            key: 'due_on',
            render: (_v, row, index) => (
              <Input
                type="date"
                aria-label={`${t('workspace.plan.dueOn')} ${index + 1}`}
                value={row.due_on}
                onChange={(e) => update(row.key, { due_on: e.target.value })}
              />
            ),
          },
          {
            title: t('workspace.plan.amount'),
            key: 'amount',
            render: (_v, row, index) => (
              <MoneyInput
                currency={currency}
                label={`${t('workspace.plan.amount')} ${index + 1}`}
                value={row.amount}
                onChange={(value) => update(row.key, { amount: value })}
              />
            ),
          },
        ]}
      />
      <Typography.Paragraph style={{ marginTop: 8 }}>
        {t('workspace.plan.sum', {
          sum: formatMinor(sum, currency),
          total: totalMinor === null ? '—' : formatMinor(totalMinor, currency),
        })}
      </Typography.Paragraph>
      <Input.TextArea
        rows={2}
        maxLength={2000}
        aria-label={t('workspace.plan.note')}
        placeholder={t('workspace.plan.note')}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        style={{ marginBottom: 8 }}
      />
      {approval && (
        <Alert type="warning" showIcon message={t('workspace.plan.approval')} style={{ marginBottom: 8 }} />
      )}
      {problem && <Alert type="error" showIcon message={problem} role="alert" style={{ marginBottom: 8 }} />}
      {failure !== null && <Alert type="error" showIcon message={errorText(failure)} />}
    </Modal>
  );
}

// ---------------------------------------------------------------- call-back

export function CallbackDialog({
  accountId,
  attemptId,
  debtorZone,
  onClose,
  onDone,
}: Common & { attemptId: number | null; debtorZone: string }) {
  const { t } = useTranslation();
  const agentZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const [at, setAt] = useState(`${addDaysIso(1)}T10:00`);
  const [zone, setZone] = useState(debtorZone);
  const [note, setNote] = useState('');
  const { busy, failure, submit } = useSubmit();
  const local = at.replace('T', ' ');
  let instant: number | null = null;
  try {
    instant = instantOf(local, zone);
  } catch {
    instant = null;
  }

  async function save() {
    await submit(async () => {
      await api.post(`/accounts/${accountId}/callbacks`, {
        at: local,
        zone,
        ...(note.trim() ? { note: note.trim() } : {}),
        ...(attemptId !== null ? { attempt_id: String(attemptId) } : {}),
      });
      onDone();
    });
  }

  return (
    <Modal
      open
      destroyOnHidden
      title={t('workspace.callback.title')}
      okText={t('workspace.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={() => void save()}
    >
      <Space direction="vertical" style={{ width: '100%' }}>
        <div>
          <div>{t('workspace.callback.at')}</div>
          <Input
            type="datetime-local"
            aria-label={t('workspace.callback.at')}
            value={at}
            onChange={(e) => setAt(e.target.value)}
          />
        </div>
        <div>
          <div>{t('workspace.callback.zone')}</div>
          <Input
            aria-label={t('workspace.callback.zone')}
            value={zone}
            onChange={(e) => setZone(e.target.value.trim())}
          />
        </div>
        {instant !== null && (
          <Typography.Text type="secondary">
            {t('workspace.callback.both', {
              debtor: `${wallTimeIn(instant, zone)} (${zone})`,
              agent: `${wallTimeIn(instant, agentZone)} (${agentZone})`,
            })}
          </Typography.Text>
        )}
        <Input.TextArea
          rows={2}
          maxLength={2000}
          aria-label={t('workspace.callback.note')}
          placeholder={t('workspace.callback.note')}
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
        {failure !== null && <Alert type="error" showIcon message={errorText(failure)} />}
      </Space>
    </Modal>
  );
}

// ---------------------------------------------------------------- hardship

export function HardshipDialog({ accountId, onClose, onDone }: Common) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ options: string[]; note: string }>();
  const { busy, failure, submit } = useSubmit();

  async function save(values: { options?: string[]; note: string }) {
    await submit(async () => {
      await api.post(`/accounts/${accountId}/hardship`, {
        options: values.options ?? [],
        note: values.note.trim(),
      });
      onDone();
    });
  }

  return (
    <Modal
      open
      destroyOnHidden
      title={t('workspace.hardship.title')}
      okText={t('workspace.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={() => form.submit()}
    >
      <Form form={form} layout="vertical" onFinish={save}>
        <Form.Item name="options" label={t('workspace.hardship.options')}>
          <Checkbox.Group
            options={hardshipOptions.map((value) => ({
              value,
              label: t(`workspace.hardship.option.${value}`),
            }))}
          />
        </Form.Item>
        <Form.Item
          name="note"
          label={t('workspace.hardship.note')}
          rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
        >
          <Input.TextArea rows={3} maxLength={2000} aria-label={t('workspace.hardship.note')} />
        </Form.Item>
      </Form>
      {failure !== null && <Alert type="error" showIcon message={errorText(failure)} />}
    </Modal>
  );
}

// ---------------------------------------------------------------- field visit

interface VisitValues {
  visited_at: string;
  address: string;
  visitors: string;
  result: string;
  recording_ref: string;
}

export function VisitDialog({ accountId, address, onClose, onDone }: Common & { address: string }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<VisitValues>();
  const { busy, failure, submit } = useSubmit();
  const required = [{ required: true, whitespace: true, message: t('validation.required') }];

  async function save(values: VisitValues) {
    await submit(async () => {
      await api.post(`/accounts/${accountId}/field-visits`, {
        visited_at: values.visited_at.replace('T', ' '),
        address: values.address.trim(),
        visitors: values.visitors.trim(),
        result: values.result.trim(),
        recording_ref: values.recording_ref.trim(),
      });
      onDone();
    });
  }

  return (
    <Modal
      open
      destroyOnHidden
      title={t('workspace.visit.title')}
      okText={t('workspace.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={() => form.submit()}
    >
      <Form<VisitValues>
        form={form}
        layout="vertical"
        onFinish={save}
        initialValues={{ address, visited_at: `${todayIso()}T10:00` }}
      >
        <Form.Item name="visited_at" label={t('workspace.visit.at')} rules={required}>
          <Input type="datetime-local" aria-label={t('workspace.visit.at')} />
        </Form.Item>
        <Form.Item name="address" label={t('workspace.visit.address')} rules={required}>
          <Input maxLength={500} aria-label={t('workspace.visit.address')} />
        </Form.Item>
        <Form.Item name="visitors" label={t('workspace.visit.visitors')} rules={required}>
          <Input maxLength={500} aria-label={t('workspace.visit.visitors')} />
        </Form.Item>
        <Form.Item name="result" label={t('workspace.visit.result')} rules={required}>
          <Input.TextArea rows={3} maxLength={4000} aria-label={t('workspace.visit.result')} />
        </Form.Item>
        <Form.Item
          name="recording_ref"
          label={t('workspace.visit.recording')}
          extra={t('workspace.visit.recordingHelp')}
          rules={required}
        >
          <Input maxLength={500} aria-label={t('workspace.visit.recording')} />
        </Form.Item>
      </Form>
      {failure !== null && <Alert type="error" showIcon message={errorText(failure)} />}
    </Modal>
  );
}
