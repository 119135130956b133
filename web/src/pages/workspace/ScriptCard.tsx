/**
 * The call script of the account's strategy segment (GET /accounts/:id/script) in the agent's UI
 * language, filled for the account, with the disclosures the agent must say. Scripts are templates of
 * channel 'script' coded by segment, else 'default'; never sent, so the gate does not apply.
 */
import { Card, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { useApi } from '../../hooks.ts';

interface Script {
  script: {
    template: { code: string; version: number; language: string };
    segment: string | null;
    fallback: boolean;
    body: string;
    disclosures: string[];
  } | null;
}

export function ScriptCard({ accountId, refreshKey }: { accountId: string; refreshKey: number }) {
  const { t, i18n } = useTranslation();
  const language = i18n.language === 'en' ? 'en' : 'zh-CN';
  const { data, error } = useApi<Script>(`/accounts/${accountId}/script`, { language }, refreshKey);
  const script = data?.script;
  return (
    <Card size="small" title={t('workspace.script.title')} data-testid="workspace-script">
      <ErrorAlert error={error} />
      {data && !script && <Typography.Text type="secondary">{t('workspace.script.none')}</Typography.Text>}
      {script && (
        <>
          <Typography.Text type="secondary">
            {script.fallback
              ? t('workspace.script.fallback')
              : t('workspace.script.segment', { segment: script.segment ?? '' })}
          </Typography.Text>
          <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: '6px 0' }}>
            {script.body}
          </Typography.Paragraph>
          <Typography.Text strong>{t('workspace.script.mustSay')}</Typography.Text>
          <ul style={{ margin: '4px 0', paddingInlineStart: 20 }}>
            {script.disclosures.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </>
      )}
    </Card>
  );
}
