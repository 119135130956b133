import { Select } from 'antd';
import { useTranslation } from 'react-i18next';
import { itemsOf } from '../api.ts';
import { useApi } from '../hooks.ts';
import type { Client } from '../types.ts';

/** Picks one of the clients the user may see (GET /clients). */
export function ClientSelect({
  value,
  onChange,
  allowClear = true,
  id,
  style,
}: {
  value?: string;
  onChange?: (value: string | undefined) => void;
  allowClear?: boolean;
  id?: string;
  style?: React.CSSProperties;
}) {
  const { t } = useTranslation();
  const { data, loading } = useApi<unknown>('/clients', { page: 1, page_size: 200 });
  return (
    <Select<string>
      id={id}
      aria-label={t('common.client')}
      placeholder={t('common.client')}
      allowClear={allowClear}
      loading={loading}
      value={value}
      onChange={(next) => onChange?.(next ?? undefined)}
      style={{ minWidth: 160, ...style }}
      showSearch={{ optionFilterProp: 'label' }}
      options={itemsOf<Client>(data).map((client) => ({
        value: client.code,
        label: `${client.name} (${client.code})`,
      }))}
    />
  );
}
