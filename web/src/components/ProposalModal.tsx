import { App, Descriptions, Form, Input, Modal, Select } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api.ts';
import { tDynamic } from '../i18n.ts';
import { formatMinor, type Minor, parseAmountToMinor } from '../money.ts';
import { amountRules, MoneyInput } from './MoneyInput.tsx';

export const proposalKinds = ['discount', 'settlement', 'recall', 'write_off', 'adjustment'] as const;
export type ProposalKind = (typeof proposalKinds)[number];
export const writeOffReasons = [
  'bankruptcy',
  'deceased',
  'statute_barred',
  'uncollectable',
  'client_instruction',
] as const;
const adjustable = ['principal', 'interest', 'fees', 'penalty'] as const;

/** Kinds that carry an amount: a discount's amount off, a settlement's amount to pay, an adjustment's change. */
const withAmount: ReadonlySet<ProposalKind> = new Set(['discount', 'settlement', 'adjustment']);

interface Values {
  kind: ProposalKind;
  amount?: string;
  component?: (typeof adjustable)[number];
  direction?: 'increase' | 'decrease';
  write_off_reason?: (typeof writeOffReasons)[number];
  reason?: string;
}

interface Outcome {
  status?: 'posted' | 'proposed' | 'agreed';
}

/** The request body of POST /proposals for the form's values (docs/api-contract.md, the ledger's routes). */
export function proposalBody(
  accountId: string,
  values: Values,
  amountMinor: string | null,
): Record<string, unknown> {
  const reason = values.reason?.trim() || undefined;
  switch (values.kind) {
    case 'discount':
      return { kind: 'discount', account_id: accountId, amount_minor: amountMinor, reason };
    case 'settlement':
      return {
        kind: 'settlement',
        account_id: accountId,
        amount_minor: amountMinor,
        ...(reason ? { reason } : {}),
      };
    case 'write_off':
      return {
        kind: 'write_off',
        account_id: accountId,
        reason: values.write_off_reason,
        ...(reason ? { note: reason } : {}),
      };
    case 'recall':
      return { kind: 'recall', account_id: accountId, reason };
    case 'adjustment': {
      const signed = values.direction === 'decrease' ? `-${amountMinor}` : amountMinor;
      return {
        kind: 'adjustment',
        account_id: accountId,
        amounts: { [`${values.component}_minor`]: signed },
        reason,
      };
    }
  }
}

/** Proposes a money change on an account; above the contract's limits it waits in the approvals inbox. */
export function ProposalModal({
  accountId,
  currency,
  balanceMinor,
  open,
  onClose,
  onDone,
}: {
  accountId: string;
  currency: string;
  balanceMinor: Minor | undefined;
  open: boolean;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const kind = Form.useWatch('kind', form) ?? 'settlement';
  const [busy, setBusy] = useState(false);
  const reasonRequired = kind !== 'settlement' && kind !== 'write_off';

  const submit = (values: Values) => {
    const amountMinor = values.amount ? parseAmountToMinor(values.amount, currency) : null;
    const balance = balanceMinor !== undefined ? BigInt(balanceMinor) : null;
    let after: string | null = null;
    if (balance !== null && amountMinor !== null) {
      if (values.kind === 'discount') after = (balance - BigInt(amountMinor)).toString();
      if (values.kind === 'settlement') after = amountMinor;
      if (values.kind === 'adjustment') {
        after = (
          values.direction === 'decrease' ? balance - BigInt(amountMinor) : balance + BigInt(amountMinor)
        ).toString();
      }
    }
    if ((values.kind === 'write_off' || values.kind === 'recall') && balance !== null) after = '0';
    modal.confirm({
      title: t('proposals.confirmTitle', { kind: tDynamic(`proposals.kinds.${values.kind}`) }),
      okText: t('proposals.submit'),
      cancelText: t('common.cancel'),
      width: 520,
      content: (
        <Descriptions column={1} size="small">
          <Descriptions.Item label={t('proposals.currentBalance')}>
            {formatMinor(balanceMinor, currency)}
          </Descriptions.Item>
          {amountMinor !== null && (
            <Descriptions.Item label={tDynamic(`proposals.amountLabel.${values.kind}`)}>
              {values.kind === 'adjustment'
                ? `${tDynamic(`components.${values.component}`)} ${values.direction === 'decrease' ? '−' : '+'}${formatMinor(amountMinor, currency)}`
                : formatMinor(amountMinor, currency)}
            </Descriptions.Item>
          )}
          {after !== null && (
            <Descriptions.Item label={t('proposals.balanceAfter')}>
              {formatMinor(after, currency)}
            </Descriptions.Item>
          )}
          {values.write_off_reason && (
            <Descriptions.Item label={t('common.reason')}>
              {tDynamic(`proposals.writeOffReasons.${values.write_off_reason}`)}
            </Descriptions.Item>
          )}
          {values.reason && (
            <Descriptions.Item label={values.kind === 'write_off' ? t('proposals.note') : t('common.reason')}>
              {values.reason}
            </Descriptions.Item>
          )}
          <Descriptions.Item label={t('common.whoApproves')}>
            {tDynamic(`proposals.approver.${values.kind}`)}
          </Descriptions.Item>
        </Descriptions>
      ),
      onOk: async () => {
        setBusy(true);
        try {
          const outcome = await api.post<Outcome | undefined>(
            '/proposals',
            proposalBody(accountId, values, amountMinor),
          );
          message.success(
            outcome?.status === 'posted' || outcome?.status === 'agreed'
              ? t('proposals.tookEffect')
              : t('proposals.created'),
          );
          form.resetFields();
          onDone();
        } catch (caught) {
          message.error(errorText(caught));
          throw caught;
        } finally {
          setBusy(false);
        }
      },
    });
  };

  return (
    <Modal
      open={open}
      title={t('proposals.new')}
      okText={t('common.next')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={() => form.submit()}
      destroyOnHidden
    >
      <Form<Values>
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{
          kind: 'settlement',
          component: 'interest',
          direction: 'decrease',
          write_off_reason: 'uncollectable',
        }}
      >
        <Form.Item
          name="kind"
          label={t('proposals.kind')}
          rules={[{ required: true, message: t('validation.required') }]}
        >
          <Select
            aria-label={t('proposals.kind')}
            options={proposalKinds.map((value) => ({ value, label: t(`proposals.kinds.${value}`) }))}
          />
        </Form.Item>
        {kind === 'adjustment' && (
          <Form.Item label={t('proposals.component')} style={{ marginBottom: 0 }}>
            <Form.Item name="component" style={{ display: 'inline-block', width: 160, marginRight: 8 }}>
              <Select
                aria-label={t('proposals.component')}
                options={adjustable.map((value) => ({ value, label: t(`components.${value}`) }))}
              />
            </Form.Item>
            <Form.Item name="direction" style={{ display: 'inline-block', width: 160 }}>
              <Select
                aria-label={t('proposals.direction')}
                options={[
                  { value: 'decrease', label: t('proposals.decrease') },
                  { value: 'increase', label: t('proposals.increase') },
                ]}
              />
            </Form.Item>
          </Form.Item>
        )}
        {withAmount.has(kind) && (
          <Form.Item
            name="amount"
            label={tDynamic(`proposals.amountLabel.${kind}`)}
            rules={amountRules(t, currency)}
            extra={tDynamic(`proposals.help.${kind}`)}
          >
            <MoneyInput currency={currency} label={tDynamic(`proposals.amountLabel.${kind}`)} />
          </Form.Item>
        )}
        {kind === 'write_off' && (
          <Form.Item
            name="write_off_reason"
            label={t('common.reason')}
            rules={[{ required: true, message: t('validation.required') }]}
          >
            <Select
              aria-label={t('common.reason')}
              options={writeOffReasons.map((value) => ({
                value,
                label: t(`proposals.writeOffReasons.${value}`),
              }))}
            />
          </Form.Item>
        )}
        <Form.Item
          name="reason"
          label={kind === 'write_off' ? t('proposals.note') : t('common.reason')}
          rules={
            reasonRequired ? [{ required: true, whitespace: true, message: t('validation.required') }] : []
          }
        >
          <Input.TextArea
            rows={3}
            aria-label={kind === 'write_off' ? t('proposals.note') : t('common.reason')}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
