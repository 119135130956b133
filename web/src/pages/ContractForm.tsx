import { DatePicker, Form, Input, InputNumber, Select, Switch } from 'antd';
import type { Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import type { Contract } from '../types.ts';

export const components = ['principal', 'interest', 'fees', 'penalty'] as const;

export interface ContractValues {
  currency?: string;
  jurisdiction: string;
  waterfall: string[];
  commission: string;
  netting: boolean;
  discount_limit_bp: number;
  accrual_allowed: boolean;
  effective_from?: Dayjs;
}

const bandPattern = /^(\d+)-(\d*):(\d+)$/;

/** "0-90:1500,91-:2500" → the API's commission bands. */
export function parseBands(
  text: string,
): Array<{ from_dpd: number; to_dpd: number | null; rate_bp: number }> | null {
  const bands = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = bandPattern.exec(part);
    if (!match) return null;
    bands.push({
      from_dpd: Number(match[1]),
      to_dpd: match[2] ? Number(match[2]) : null,
      rate_bp: Number(match[3]),
    });
  }
  return bands.length > 0 ? bands : null;
}

export function formatBands(commission: Contract['commission'] | undefined): string {
  if (!commission) return '';
  if (typeof commission === 'string') return commission;
  return commission
    .map((band) => `${band.from_dpd ?? 0}-${band.to_dpd ?? ''}:${band.rate_bp ?? 0}`)
    .join(',');
}

export function contractBody(values: ContractValues): Record<string, unknown> {
  return {
    ...(values.currency ? { currency: values.currency.trim().toUpperCase() } : {}),
    jurisdiction: values.jurisdiction,
    waterfall: values.waterfall,
    commission: parseBands(values.commission) ?? [],
    netting: values.netting,
    discount_limit_bp: values.discount_limit_bp,
    accrual_allowed: values.accrual_allowed,
    ...(values.effective_from ? { effective_from: values.effective_from.format('YYYY-MM-DD') } : {}),
  };
}

/** The terms of a contract version, shared by "add client" and "new contract version". */
export function ContractFields({
  withEffectiveDate,
  withCurrency = true,
}: {
  withEffectiveDate: boolean;
  withCurrency?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <>
      {withCurrency && (
        <Form.Item
          name="currency"
          label={t('contracts.currency')}
          rules={[{ required: true, pattern: /^[A-Za-z]{3}$/, message: t('contracts.currencyRule') }]}
        >
          <Input aria-label={t('contracts.currency')} maxLength={3} style={{ width: 100 }} />
        </Form.Item>
      )}
      <Form.Item
        name="jurisdiction"
        label={t('contracts.jurisdiction')}
        rules={[{ required: true, message: t('validation.required') }]}
      >
        <Select
          aria-label={t('contracts.jurisdiction')}
          options={['CN', 'US', 'UK'].map((value) => ({ value, label: value }))}
          style={{ width: 100 }}
        />
      </Form.Item>
      <Form.Item
        name="waterfall"
        label={t('contracts.waterfall')}
        extra={t('contracts.waterfallHelp')}
        rules={[
          {
            validator: (_rule, value: string[] | undefined) =>
              value && value.length === 4
                ? Promise.resolve()
                : Promise.reject(new Error(t('contracts.waterfallRule'))),
          },
        ]}
      >
        <Select
          mode="multiple"
          aria-label={t('contracts.waterfall')}
          options={components.map((value) => ({ value, label: t(`components.${value}`) }))}
        />
      </Form.Item>
      <Form.Item
        name="commission"
        label={t('contracts.commission')}
        extra={t('contracts.commissionHelp')}
        rules={[
          {
            validator: (_rule, value: string | undefined) =>
              value && parseBands(value)
                ? Promise.resolve()
                : Promise.reject(new Error(t('contracts.commissionRule'))),
          },
        ]}
      >
        <Input aria-label={t('contracts.commission')} placeholder="0-90:1500,91-180:2500,181-:3500" />
      </Form.Item>
      <Form.Item name="discount_limit_bp" label={t('contracts.discountLimit')} extra={t('contracts.bpHelp')}>
        <InputNumber min={0} max={10000} step={100} aria-label={t('contracts.discountLimit')} />
      </Form.Item>
      <Form.Item name="netting" label={t('contracts.netting')} valuePropName="checked">
        <Switch aria-label={t('contracts.netting')} />
      </Form.Item>
      <Form.Item name="accrual_allowed" label={t('contracts.accrual')} valuePropName="checked">
        <Switch aria-label={t('contracts.accrual')} />
      </Form.Item>
      {withEffectiveDate && (
        <Form.Item
          name="effective_from"
          label={t('contracts.effectiveFrom')}
          rules={[{ required: true, message: t('validation.required') }]}
        >
          <DatePicker aria-label={t('contracts.effectiveFrom')} />
        </Form.Item>
      )}
    </>
  );
}
