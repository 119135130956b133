import { App, Descriptions, Form, Input, Modal, Select } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api.ts';
import { tDynamic } from '../i18n.ts';
import { formatMinor, type Minor, parseAmountToMinor } from '../money.ts';
import type { Approval } from '../types.ts';
import { amountRules, MoneyInput } from './MoneyInput.tsx';

export const proposalKinds = ['discount', 'settlement', 'recall', 'write_off', 'adjustment'] as const;
export type ProposalKind = (typeof proposalKinds)[number];

/** Kinds that carry an amount: a discount's amount off, a settlement's amount to pay, an adjustment's change. */
const withAmount: ReadonlySet<ProposalKind> = new Set(['discount', 'settlement', 'adjustment']);

interface Values {
  kind: ProposalKind;
  amount?: string;
  reason: string;
}

/** Proposes a money change on an account; it waits in the approvals inbox for a second person. */
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

  const submit = (values: Values) => {
    const amountMinor = values.amount ? parseAmountToMinor(values.amount, currency) : null;
    const balance = balanceMinor !== undefined ? BigInt(balanceMinor) : null;
    let after: string | null = null;
    if (balance !== null && amountMinor !== null) {
      if (values.kind === 'discount') after = (balance - BigInt(amountMinor)).toString();
      if (values.kind === 'settlement') after = amountMinor;
    }
    if ((values.kind === 'write_off' || values.kind === 'recall') && balance !== null) after = '0';
    modal.confirm({
      title: t('proposals.confirmTitle', { kind: tDynamic(`proposals.kinds.${values.kind}`) }),
      okText: t('proposals.submit'),
      cancelText: t('common.cancel'),
      content: (
        <Descriptions column={1} size="small">
          <Descriptions.Item label={t('proposals.currentBalance')}>
            {formatMinor(balanceMinor, currency)}
          </Descriptions.Item>
          {amountMinor !== null && (
            <Descriptions.Item label={tDynamic(`proposals.amountLabel.${values.kind}`)}>
              {formatMinor(amountMinor, currency)}
            </Descriptions.Item>
          )}
          {after !== null && (
            <Descriptions.Item label={t('proposals.balanceAfter')}>
              {formatMinor(after, currency)}
            </Descriptions.Item>
          )}
          <Descriptions.Item label={t('common.reason')}>{values.reason}</Descriptions.Item>
          <Descriptions.Item label={t('common.whoApproves')}>
            {tDynamic(`proposals.approver.${values.kind}`)}
          </Descriptions.Item>
        </Descriptions>
      ),
      onOk: async () => {
        setBusy(true);
        try {
          const body: Record<string, unknown> = {
            kind: values.kind,
            account_id: /^\d+$/.test(accountId) ? Number(accountId) : accountId,
            reason: values.reason.trim(),
          };
          if (amountMinor !== null) body.amount_minor = Number(amountMinor);
          const created = await api.post<Approval | undefined>('/proposals', body);
          const role = created?.required_role ?? created?.approver_role;
          message.success(
            role
              ? t('proposals.createdFor', { role: tDynamic(`roles.${role}`, role) })
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
      <Form<Values> form={form} layout="vertical" onFinish={submit} initialValues={{ kind: 'settlement' }}>
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
        <Form.Item
          name="reason"
          label={t('common.reason')}
          rules={[{ required: true, whitespace: true, message: t('validation.required') }]}
        >
          <Input.TextArea rows={3} aria-label={t('common.reason')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
