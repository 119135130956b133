import { App, Button, Card, Checkbox, Form, InputNumber, Select, Space } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../../api.ts';
import { amountRules, MoneyInput } from '../../components/MoneyInput.tsx';
import { minorToAmountText, parseAmountToMinor } from '../../money.ts';
import { methods, type Rule } from './types.ts';

interface Values {
  method: Rule['method'];
  cap_per_agent: number | null;
  match: string[];
  /** The threshold as typed (major units); empty: none. */
  high_balance: string;
}

/** The team's rule: method, cap, match requirements and the high-balance threshold, with a save. */
export function RuleCard({
  teamId,
  rule,
  onSaved,
}: {
  teamId: number;
  rule: Rule | null;
  onSaved: () => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    form.setFieldsValue({
      method: rule?.method ?? 'round_robin',
      cap_per_agent: rule?.cap_per_agent ?? null,
      match: rule ? (['region', 'language', 'skills'] as const).filter((need) => rule.match[need]) : [],
      high_balance: minorToAmountText(rule?.high_balance_minor),
    });
  }, [form, rule]);

  return (
    <Card size="small" title={t('allocation.rule')}>
      <Form<Values>
        form={form}
        layout="inline"
        onFinish={async (values) => {
          setBusy(true);
          const typed = (values.high_balance ?? '').trim();
          const threshold = typed === '' ? null : parseAmountToMinor(typed);
          try {
            await api.post('/allocation/rules', {
              team_id: teamId,
              method: values.method,
              cap_per_agent: values.cap_per_agent ?? null,
              match: {
                region: values.match.includes('region'),
                language: values.match.includes('language'),
                skills: values.match.includes('skills'),
              },
              high_balance_minor: threshold === null ? null : Number(threshold),
            });
            message.success(t('allocation.ruleSaved'));
            onSaved();
          } catch (caught) {
            message.error(errorText(caught));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item name="method" label={t('allocation.method')}>
          <Select
            aria-label={t('allocation.method')}
            style={{ width: 200 }}
            options={methods.map((method) => ({ value: method, label: t(`allocation.methods.${method}`) }))}
          />
        </Form.Item>
        <Form.Item name="cap_per_agent" label={t('allocation.cap')}>
          <InputNumber
            aria-label={t('allocation.cap')}
            min={1}
            max={100000}
            precision={0}
            placeholder={t('allocation.noCap')}
          />
        </Form.Item>
        <Form.Item name="match" label={t('allocation.match')}>
          <Checkbox.Group
            options={(['region', 'language', 'skills'] as const).map((need) => ({
              value: need,
              label: t(`allocation.needs.${need}`),
            }))}
          />
        </Form.Item>
        <Form.Item
          name="high_balance"
          label={t('allocation.highBalance')}
          rules={amountRules(t, null, false, false)}
        >
          <MoneyInput label={t('allocation.highBalance')} placeholder={t('allocation.none')} />
        </Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('allocation.saveRule')}
          </Button>
        </Space>
      </Form>
    </Card>
  );
}
