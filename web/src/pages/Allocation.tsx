import { Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { itemsOf } from '../api.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { useApi } from '../hooks.ts';
import type { Team } from '../types.ts';
import { AgentsCard } from './allocation/AgentsCard.tsx';
import { PreviewCard } from './allocation/PreviewCard.tsx';
import { QueuesCard } from './allocation/QueuesCard.tsx';
import { RuleCard } from './allocation/RuleCard.tsx';
import type { Rule } from './allocation/types.ts';

/**
 * 分案 / Allocation, for supervisors and admins: per team the rule (method, cap, match by region /
 * language / skill) with its preview as before/after bars and "run now", the team's queues with
 * rebalancing (调案 with a reason), and what each agent covers.
 */
export default function Allocation() {
  const { t } = useTranslation();
  const teams = useApi<unknown>('/teams', { page: 1, page_size: 200 });
  const [teamId, setTeamId] = useState<number | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const rules = useApi<{ items: Rule[] }>('/allocation/rules', undefined, refreshKey);
  const refresh = () => setRefreshKey((value) => value + 1);
  const rule = rules.data?.items.find((item) => Number(item.team_id) === teamId) ?? null;

  return (
    <section aria-labelledby="allocation-title">
      <Typography.Title id="allocation-title" level={4}>
        {t('allocation.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('allocation.explain')}</Typography.Paragraph>
      <ErrorAlert error={teams.error ?? rules.error} />
      <Space style={{ marginBottom: 12 }}>
        <Select
          aria-label={t('allocation.team')}
          placeholder={t('allocation.pickTeam')}
          style={{ width: 240 }}
          value={teamId ?? undefined}
          onChange={(value: number) => setTeamId(value)}
          options={itemsOf<Team>(teams.data).map((team) => ({ value: Number(team.id), label: team.name }))}
        />
      </Space>
      {teamId !== null && (
        <Space direction="vertical" style={{ width: '100%' }} size="middle">
          <RuleCard teamId={teamId} rule={rule} onSaved={refresh} />
          <PreviewCard key={`${teamId}-${refreshKey}`} teamId={teamId} onRun={refresh} />
          <QueuesCard teamId={teamId} refreshKey={refreshKey} onMoved={refresh} />
          <AgentsCard teamId={teamId} onSaved={refresh} />
        </Space>
      )}
    </section>
  );
}
