import { App, Button, Card, Select, Table } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../../api.ts';
import { useApi } from '../../hooks.ts';
import { type AgentAttributes, skills } from './types.ts';

/** What each agent of the team covers — languages, regions (as tags) and skills — saved per row. */
export function AgentsCard({ teamId, onSaved }: { teamId: number; onSaved: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [refresh, setRefresh] = useState(0);
  const { data, loading } = useApi<{ items: AgentAttributes[] }>(
    '/allocation/agents',
    { team_id: teamId },
    refresh,
  );
  const [rows, setRows] = useState<AgentAttributes[]>([]);
  useEffect(() => setRows(data?.items ?? []), [data]);
  const change = (agent: string, patch: Partial<AgentAttributes>) =>
    setRows((current) => current.map((row) => (row.agent === agent ? { ...row, ...patch } : row)));

  return (
    <Card size="small" title={t('allocation.agents')}>
      <Table<AgentAttributes>
        size="small"
        rowKey="agent"
        aria-label={t('allocation.agents')}
        loading={loading}
        pagination={false}
        dataSource={rows}
        columns={[
          { title: t('allocation.agent'), dataIndex: 'agent', key: 'agent' },
          {
            title: t('allocation.languages'),
            key: 'languages',
            render: (_v, row) => (
              <Select
                mode="tags"
                aria-label={`${t('allocation.languages')} ${row.agent}`}
                style={{ minWidth: 160 }}
                value={row.languages}
                options={['zh-CN', 'en', 'yue'].map((value) => ({ value }))}
                onChange={(languages: string[]) => change(row.agent, { languages })}
              />
            ),
          },
          {
            title: t('allocation.regions'),
            key: 'regions',
            render: (_v, row) => (
              <Select
                mode="tags"
                aria-label={`${t('allocation.regions')} ${row.agent}`}
                style={{ minWidth: 160 }}
                value={row.regions}
                onChange={(regions: string[]) => change(row.agent, { regions })}
              />
            ),
          },
          {
            title: t('allocation.skills'),
            key: 'skills',
            render: (_v, row) => (
              <Select
                mode="multiple"
                aria-label={`${t('allocation.skills')} ${row.agent}`}
                style={{ minWidth: 160 }}
                value={row.skills}
                options={skills.map((value) => ({ value, label: t(`allocation.skillNames.${value}`) }))}
                onChange={(chosen: string[]) => change(row.agent, { skills: chosen })}
              />
            ),
          },
          {
            title: t('common.actions'),
            key: 'save',
            render: (_v, row) => (
              <Button
                size="small"
                aria-label={`${t('allocation.saveAgent')} ${row.agent}`}
                onClick={async () => {
                  try {
                    await api.post('/allocation/agents', {
                      agent: row.agent,
                      languages: row.languages,
                      regions: row.regions,
                      skills: row.skills,
                    });
                    message.success(t('allocation.agentSaved'));
                    setRefresh((value) => value + 1);
                    onSaved();
                  } catch (caught) {
                    message.error(errorText(caught));
                  }
                }}
              >
                {t('common.save')}
              </Button>
            ),
          },
        ]}
      />
    </Card>
  );
}
