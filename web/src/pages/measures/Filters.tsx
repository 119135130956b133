/**
 * The filter bar: the period, the currency and the cuts. It edits a copy; "search" hands the filters
 * to the page, which puts them in the URL (a view can be shared and reloaded). The client filter is
 * for staff only (a client's users see their own figures, the server enforces it); the team is
 * picked from GET /teams by those who may read it (admin, supervisor), typed as a number by others.
 */
import { Button, Card, DatePicker, Form, Input, Select, Space } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { itemsOf } from '../../api.ts';
import { useAuth } from '../../auth.tsx';
import { ClientSelect } from '../../components/ClientSelect.tsx';
import { todayIso } from '../../format.ts';
import { useApi } from '../../hooks.ts';
import type { Team } from '../../types.ts';
import {
  buckets,
  currencies,
  cutAllowed,
  cutKeys,
  cutValue,
  defaultPeriod,
  type Filters as FilterState,
  idPattern,
} from './model.ts';

interface FormValues {
  range?: [Dayjs | null, Dayjs | null] | null;
  currency?: string;
  client?: string;
  batch?: string;
  vintage?: Dayjs | null;
  team?: string;
  agent?: string;
  product?: string;
  bucket?: string;
  segment?: string;
  arm?: string;
}

const moreKeys = ['team', 'agent', 'product', 'segment', 'arm'] as const;

function formValues(filters: FilterState): FormValues {
  return {
    range: [dayjs(filters.from), dayjs(filters.to)],
    currency: filters.currency,
    client: filters.client,
    batch: filters.batch,
    vintage: filters.vintage ? dayjs(`${filters.vintage}-01`) : null,
    team: filters.team,
    agent: filters.agent,
    product: filters.product,
    bucket: filters.bucket,
    segment: filters.segment,
    arm: filters.arm,
  };
}

function filtersOf(values: FormValues, clientUser: boolean): FilterState {
  const fallback = defaultPeriod(todayIso());
  const [start, end] = values.range ?? [];
  const filters: FilterState = {
    from: start ? start.format('YYYY-MM-DD') : fallback.from,
    to: end ? end.format('YYYY-MM-DD') : fallback.to,
    currency: values.currency ?? 'CNY',
  };
  const raw: Record<string, string | undefined> = {
    client: values.client,
    batch: values.batch,
    vintage: values.vintage ? values.vintage.format('YYYY-MM') : undefined,
    team: values.team,
    agent: values.agent,
    product: values.product,
    bucket: values.bucket,
    segment: values.segment,
    arm: values.arm,
  };
  for (const key of cutKeys) {
    if ((key === 'client' && clientUser) || !cutAllowed(key, clientUser)) continue;
    const value = cutValue(key, raw[key]);
    if (value !== undefined) filters[key] = value;
  }
  return filters;
}

function TeamSelect({ value, onChange }: { value?: string; onChange?: (value: string | undefined) => void }) {
  const { t } = useTranslation();
  const { data, loading } = useApi<unknown>('/teams', { page: 1, page_size: 200 });
  const options = itemsOf<Team>(data).map((team) => ({ value: String(team.id), label: team.name }));
  if (value && !options.some((option) => option.value === value)) options.push({ value, label: `#${value}` });
  return (
    <Select<string>
      allowClear
      aria-label={t('measures.filters.team')}
      placeholder={t('measures.filters.team')}
      loading={loading}
      value={value}
      onChange={(next) => onChange?.(next ?? undefined)}
      style={{ width: 150 }}
      showSearch={{ optionFilterProp: 'label' }}
      options={options}
    />
  );
}

export function MeasureFilters({
  filters,
  clientUser,
  onApply,
}: {
  filters: FilterState;
  clientUser: boolean;
  onApply: (filters: FilterState) => void;
}) {
  const { t } = useTranslation();
  const { hasRole } = useAuth();
  const [form] = Form.useForm<FormValues>();
  const [more, setMore] = useState(() => moreKeys.some((key) => !!filters[key]));
  const teamsReadable = hasRole('admin', 'supervisor');
  const shown = JSON.stringify(filters);
  const hiddenSet = moreKeys.filter((key) => !!filters[key]).length;

  // the URL changed (back, a shared link, reset): the form shows what is in force
  // biome-ignore lint/correctness/useExhaustiveDependencies: `shown` stands for the filters
  useEffect(() => {
    form.resetFields();
    form.setFieldsValue(formValues(filters));
  }, [shown, form]);

  const currencyOptions = currencies.map((code) => ({ value: code, label: code }));
  const agencyCuts = cutAllowed('team', clientUser);
  const idRule = {
    validator: (_rule: unknown, value: string | undefined) =>
      !value?.trim() || idPattern.test(value.trim())
        ? Promise.resolve()
        : Promise.reject(new Error(t('measures.filters.idOnly'))),
  };

  return (
    <Card size="small" style={{ marginBottom: 16 }}>
      <Form<FormValues>
        form={form}
        layout="inline"
        initialValues={formValues(filters)}
        // the hidden "more" filters stay in the form's store: apply them too
        onFinish={(values) => onApply(filtersOf({ ...form.getFieldsValue(true), ...values }, clientUser))}
        style={{ rowGap: 8 }}
      >
        <Form.Item name="range" label={t('measures.filters.period')}>
          <DatePicker.RangePicker
            allowClear={false}
            aria-label={t('measures.filters.period')}
            style={{ width: 240 }}
          />
        </Form.Item>
        <Form.Item name="currency" label={t('measures.filters.currency')}>
          <Select
            aria-label={t('measures.filters.currency')}
            style={{ width: 90 }}
            options={currencyOptions}
          />
        </Form.Item>
        {clientUser ? null : (
          <Form.Item name="client" label={t('common.client')}>
            <ClientSelect style={{ width: 180 }} />
          </Form.Item>
        )}
        <Form.Item name="batch" label={t('measures.filters.batch')} rules={[idRule]}>
          <Input
            allowClear
            inputMode="numeric"
            placeholder={t('measures.filters.batchPlaceholder')}
            aria-label={t('measures.filters.batch')}
            style={{ width: 110 }}
          />
        </Form.Item>
        <Form.Item name="vintage" label={t('measures.filters.vintage')}>
          <DatePicker picker="month" aria-label={t('measures.filters.vintage')} style={{ width: 120 }} />
        </Form.Item>
        <Form.Item name="bucket" label={t('measures.filters.bucket')}>
          <Select
            allowClear
            aria-label={t('measures.filters.bucket')}
            style={{ width: 100 }}
            options={buckets.map((bucket) => ({
              value: bucket,
              label: bucket === 'current' ? t('measures.states.current') : bucket,
            }))}
          />
        </Form.Item>
        {more && agencyCuts && (
          <Form.Item name="team" label={t('measures.filters.team')} rules={teamsReadable ? [] : [idRule]}>
            {teamsReadable ? (
              <TeamSelect />
            ) : (
              <Input
                allowClear
                inputMode="numeric"
                placeholder={t('measures.filters.teamPlaceholder')}
                aria-label={t('measures.filters.team')}
                style={{ width: 110 }}
              />
            )}
          </Form.Item>
        )}
        {more && agencyCuts && (
          <Form.Item name="agent" label={t('measures.filters.agent')}>
            <Input
              allowClear
              placeholder={t('measures.filters.agentPlaceholder')}
              aria-label={t('measures.filters.agent')}
              style={{ width: 120 }}
            />
          </Form.Item>
        )}
        {more && (
          <Form.Item name="product" label={t('measures.filters.product')}>
            <Input allowClear aria-label={t('measures.filters.product')} style={{ width: 120 }} />
          </Form.Item>
        )}
        {more && agencyCuts && (
          <Form.Item name="segment" label={t('measures.filters.segment')}>
            <Input allowClear aria-label={t('measures.filters.segment')} style={{ width: 120 }} />
          </Form.Item>
        )}
        {more && agencyCuts && (
          <Form.Item name="arm" label={t('measures.filters.arm')}>
            <Input allowClear aria-label={t('measures.filters.arm')} style={{ width: 110 }} />
          </Form.Item>
        )}
        <Space>
          <Button type="primary" htmlType="submit">
            {t('common.search')}
          </Button>
          <Button
            onClick={() => {
              const defaults: FilterState = { ...defaultPeriod(todayIso()), currency: 'CNY' };
              form.resetFields();
              form.setFieldsValue(formValues(defaults));
              onApply(defaults);
            }}
          >
            {t('common.reset')}
          </Button>
          <Button type="link" aria-expanded={more} onClick={() => setMore((value) => !value)}>
            {more
              ? t('measures.filters.less')
              : hiddenSet > 0
                ? `${t('measures.filters.more')} (${hiddenSet})`
                : t('measures.filters.more')}
          </Button>
        </Space>
      </Form>
    </Card>
  );
}
