import { App, DatePicker, Descriptions, Form, Input, Modal, Select } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api.ts';
import { formatDate } from '../format.ts';
import { formatMinor, parseAmountToMinor } from '../money.ts';
import { amountRules, MoneyInput } from './MoneyInput.tsx';

export const channels = [
  'bank_transfer',
  'alipay',
  'wechat_pay',
  'cash',
  'card',
  'direct_to_client',
] as const;

interface Values {
  amount: string;
  paid_on: Dayjs;
  channel: string;
  reference?: string;
}

/** An agent registers a payment the debtor says was made; finance verifies it before it reaches the books. */
export function PaymentClaimModal({
  accountId,
  currency,
  open,
  onClose,
  onDone,
}: {
  accountId: string;
  currency: string;
  open: boolean;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);

  const submit = (values: Values) => {
    const amountMinor = parseAmountToMinor(values.amount, currency);
    if (amountMinor === null) return;
    const paidOn = values.paid_on.format('YYYY-MM-DD');
    modal.confirm({
      title: t('claims.confirmTitle'),
      okText: t('common.confirm'),
      cancelText: t('common.cancel'),
      content: (
        <Descriptions column={1} size="small">
          <Descriptions.Item label={t('common.amount')}>
            {formatMinor(amountMinor, currency)}
          </Descriptions.Item>
          <Descriptions.Item label={t('claims.paidOn')}>{formatDate(paidOn)}</Descriptions.Item>
          <Descriptions.Item label={t('claims.channel')}>
            {t(`claims.channels.${values.channel}` as 'claims.channels.cash')}
          </Descriptions.Item>
          <Descriptions.Item label={t('claims.reference')}>{values.reference || '—'}</Descriptions.Item>
          <Descriptions.Item label={t('common.whoApproves')}>{t('claims.financeVerifies')}</Descriptions.Item>
        </Descriptions>
      ),
      onOk: async () => {
        setBusy(true);
        try {
          await api.post('/payment-claims', {
            account_id: accountId,
            amount_minor: amountMinor,
            paid_on: paidOn,
            channel: values.channel,
            ...(values.reference?.trim() ? { reference: values.reference.trim() } : {}),
          });
          message.success(t('claims.registered'));
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
      title={t('claims.register')}
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
        initialValues={{ channel: 'bank_transfer' }}
      >
        <Form.Item name="amount" label={t('common.amount')} rules={amountRules(t, currency)}>
          <MoneyInput currency={currency} label={t('common.amount')} />
        </Form.Item>
        <Form.Item
          name="paid_on"
          label={t('claims.paidOn')}
          rules={[{ required: true, message: t('validation.required') }]}
        >
          <DatePicker style={{ width: '100%' }} aria-label={t('claims.paidOn')} />
        </Form.Item>
        <Form.Item
          name="channel"
          label={t('claims.channel')}
          rules={[{ required: true, message: t('validation.required') }]}
        >
          <Select
            aria-label={t('claims.channel')}
            options={channels.map((channel) => ({ value: channel, label: t(`claims.channels.${channel}`) }))}
          />
        </Form.Item>
        <Form.Item name="reference" label={t('claims.reference')}>
          <Input aria-label={t('claims.reference')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
