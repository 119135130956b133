import { Input } from 'antd';
import type { TFunction } from 'i18next';
import { parseAmountToMinor, symbolFor } from '../money.ts';

/** A text box for an amount in major units (`1,234.56`); the form keeps the text, parsed exactly on submit. */
export function MoneyInput({
  value,
  onChange,
  currency,
  id,
  label,
  placeholder,
}: {
  value?: string;
  onChange?: (value: string) => void;
  currency?: string | null;
  id?: string;
  label: string;
  placeholder?: string;
}) {
  return (
    <Input
      id={id}
      aria-label={label}
      inputMode="decimal"
      prefix={symbolFor(currency).trim()}
      value={value}
      placeholder={placeholder}
      onChange={(event) => onChange?.(event.target.value)}
      style={{ fontVariantNumeric: 'tabular-nums' }}
    />
  );
}

/** The checks of an amount box; `required` false lets it stay empty (the caller reads empty as none). */
export function amountRules(t: TFunction, currency?: string | null, allowZero = false, required = true) {
  return [
    { required, message: t('validation.required') },
    {
      validator: (_rule: unknown, value: string | undefined) => {
        if (!value) return Promise.resolve();
        const minor = parseAmountToMinor(value, currency);
        if (minor === null) return Promise.reject(new Error(t('validation.amount')));
        if (!allowZero && /^0+$/.test(minor)) return Promise.reject(new Error(t('validation.positive')));
        return Promise.resolve();
      },
    },
  ];
}
