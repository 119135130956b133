import { Card, DatePicker, Empty, Space, Table, Tooltip, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../hooks.ts';
import { decimalsFor, formatMinor, type Minor, minorToChartNumber } from '../money.ts';
import { Chart, type ChartOption } from './Chart.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';
import { Money } from './Money.tsx';

interface BoardFacts {
  accounts_in_scope: number;
  accounts_worked: number;
  registered_count: number;
  registered_minor: Minor;
  verified_count: number;
  verified_minor: Minor;
  pending_count: number;
  pending_minor: Minor;
}

export interface BoardRow extends BoardFacts {
  rank: number;
  user_id: number;
  username: string;
  display_name: string;
  team_id: number;
  team_name: string;
}

export interface TeamBoardAnswer {
  month: string;
  currency: string;
  teams: { id: number; name: string; accounts_in_scope: number }[];
  agents: BoardRow[];
  totals: BoardFacts & { agents: number };
}

/** The count-and-amount pairs of a row, in the order of their columns. */
const moneyPairs = ['registered', 'verified', 'pending'] as const;

/** "3 · ¥1,000.00": a count and its amount in one cell, so the table stays narrow on a laptop. */
function CountAmount({ count, amount, currency }: { count: number; amount: Minor; currency: string }) {
  return (
    <span className="hk-num" style={{ whiteSpace: 'nowrap' }}>
      {count} · <Money value={amount} currency={currency} />
    </span>
  );
}

/**
 * The supervisor's team board (GET /reports/team-board): per agent of the supervisor's teams, the
 * accounts in scope, the accounts worked, payments registered, verified and pending this month, and
 * a chart comparing the agents.
 */
export function TeamBoard() {
  const { t } = useTranslation();
  const [month, setMonth] = useState<Dayjs>(() => dayjs());
  const { data, error, loading } = useApi<TeamBoardAnswer>('/reports/team-board', {
    month: month.format('YYYY-MM'),
  });
  const currency = data?.currency ?? 'CNY';
  const agents = data?.agents ?? [];
  const option = useMemo<ChartOption>(() => {
    const series = [
      { key: 'verified_minor', name: t('teamBoard.verifiedAmount'), color: '#52c41a' },
      { key: 'pending_minor', name: t('teamBoard.pendingAmount'), color: '#faad14' },
      { key: 'registered_minor', name: t('teamBoard.registeredAmount'), color: '#1677ff' },
    ] as const;
    return {
      grid: { left: 64, right: 16, top: 32, bottom: 28 },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (value: unknown) =>
          formatMinor(Math.round(Number(value) * 10 ** decimalsFor(currency)), currency),
      },
      legend: { data: series.map((s) => s.name), top: 0 },
      xAxis: { type: 'category', data: agents.map((row) => row.display_name || row.username) },
      yAxis: { type: 'value' },
      series: series.map((s) => ({
        name: s.name,
        type: 'bar',
        itemStyle: { color: s.color },
        data: agents.map((row) => minorToChartNumber(row[s.key], currency)),
      })),
    };
  }, [agents, currency, t]);

  const totals = data?.totals;
  return (
    <Card
      size="small"
      title={t('teamBoard.title')}
      extra={
        <DatePicker
          picker="month"
          allowClear={false}
          value={month}
          onChange={(value) => value && setMonth(value)}
          aria-label={t('teamBoard.month')}
          disabledDate={(day) => day.isAfter(dayjs(), 'month')}
        />
      }
    >
      <ErrorAlert error={error} />
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        {t('teamBoard.explain')}
      </Typography.Paragraph>
      {!loading && data && data.teams.length === 0 ? (
        <Empty description={t('teamBoard.noTeam')} />
      ) : (
        <Space direction="vertical" size={12} style={{ width: '100%' }}>
          <Table<BoardRow>
            aria-label={t('teamBoard.title')}
            size="small"
            rowKey="user_id"
            loading={loading}
            dataSource={agents}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: t('teamBoard.noAgents') }}
            columns={[
              { title: t('teamBoard.rank'), dataIndex: 'rank', key: 'rank', width: 56, align: 'right' },
              {
                title: t('teamBoard.agent'),
                key: 'agent',
                render: (_v, row) => `${row.display_name} (${row.username})`,
              },
              { title: t('teamBoard.team'), dataIndex: 'team_name', key: 'team' },
              {
                title: (
                  <Tooltip title={t('teamBoard.accountsInScopeHelp')}>
                    {t('teamBoard.accountsInScope')}
                  </Tooltip>
                ),
                dataIndex: 'accounts_in_scope',
                key: 'scope',
                align: 'right',
              },
              {
                title: t('teamBoard.accountsWorked'),
                dataIndex: 'accounts_worked',
                key: 'worked',
                align: 'right',
              },
              ...moneyPairs.map((pair) => ({
                title: t(`teamBoard.${pair}`),
                key: pair,
                align: 'right' as const,
                render: (_v: unknown, row: BoardRow) => (
                  <CountAmount
                    count={row[`${pair}_count`]}
                    amount={row[`${pair}_minor`]}
                    currency={currency}
                  />
                ),
              })),
            ]}
            summary={() =>
              totals && agents.length > 1 ? (
                <Table.Summary.Row>
                  <Table.Summary.Cell index={0} colSpan={3}>
                    {t('teamBoard.total')}
                  </Table.Summary.Cell>
                  <Table.Summary.Cell index={3} align="right">
                    {totals.accounts_in_scope}
                  </Table.Summary.Cell>
                  <Table.Summary.Cell index={4} align="right">
                    {totals.accounts_worked}
                  </Table.Summary.Cell>
                  {moneyPairs.map((pair, index) => (
                    <Table.Summary.Cell key={pair} index={5 + index} align="right">
                      <CountAmount
                        count={totals[`${pair}_count`]}
                        amount={totals[`${pair}_minor`]}
                        currency={currency}
                      />
                    </Table.Summary.Cell>
                  ))}
                </Table.Summary.Row>
              ) : null
            }
          />
          {agents.length > 0 && <Chart option={option} label={t('teamBoard.chart')} height={240} />}
        </Space>
      )}
    </Card>
  );
}
