import { Card, Col, Descriptions, Empty, List, Row, Tag, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { itemsOf } from '../../api.ts';
import { Chart, type ChartOption } from '../../components/Chart.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { formatDate } from '../../format.ts';
import { useApi } from '../../hooks.ts';

export interface ScoreRow {
  as_of: string;
  model_id: number;
  model: string;
  role: 'champion' | 'challenger';
  score: number;
  band: number;
  probability: number;
  event: string;
  balance_minor: number | string;
  reasons: Array<{ code: string; text: { en: string; 'zh-CN': string } }>;
}

/** The probability of payment: the model's own when its event is paying, else one minus it. */
export function payProbability(row: Pick<ScoreRow, 'probability' | 'event'>): number {
  return row.event === 'paid' ? row.probability : 1 - row.probability;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/**
 * The account's Score tab (评分): the champion's latest score with its band, probability of payment
 * and reasons in plain words (the model's own zh-CN / en texts), the challenger's beside it when one
 * scores the account, and the score and band over time.
 */
export function ScoreTab({ accountId }: { accountId: string }) {
  const { t, i18n } = useTranslation();
  const { data, error, loading } = useApi<unknown>(`/accounts/${accountId}/scores`, { limit: 400 });
  const rows = useMemo(() => itemsOf<ScoreRow>(data), [data]);
  const language = i18n.language === 'en' ? 'en' : 'zh-CN';
  const champion = rows.find((row) => row.role === 'champion');
  const challenger = rows.find((row) => row.role === 'challenger' && row.as_of === champion?.as_of);

  const option = useMemo<ChartOption>(() => {
    const ascending = [...rows].reverse();
    const dates = [...new Set(ascending.map((row) => row.as_of))];
    const series = (role: ScoreRow['role'], field: 'score' | 'band') => {
      const byDate = new Map(
        ascending.filter((row) => row.role === role).map((row) => [row.as_of, row[field]]),
      );
      return dates.map((date) => byDate.get(date) ?? null);
    };
    const hasChallenger = ascending.some((row) => row.role === 'challenger');
    const scoreName = `${t('risk.score.score')} (${t('risk.score.champion')})`;
    const bandName = `${t('risk.score.band')} (${t('risk.score.champion')})`;
    const challengerName = `${t('risk.score.score')} (${t('risk.score.challenger')})`;
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: [scoreName, bandName, ...(hasChallenger ? [challengerName] : [])] },
      grid: { left: 50, right: 50, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: dates },
      yAxis: [
        { type: 'value', name: t('risk.score.score'), scale: true },
        { type: 'value', name: t('risk.score.band'), minInterval: 1, min: 0 },
      ],
      series: [
        { name: scoreName, type: 'line', data: series('champion', 'score'), connectNulls: true },
        {
          name: bandName,
          type: 'line',
          step: 'end',
          yAxisIndex: 1,
          data: series('champion', 'band'),
          lineStyle: { type: 'dashed' },
        },
        ...(hasChallenger
          ? [{ name: challengerName, type: 'line', data: series('challenger', 'score'), connectNulls: true }]
          : []),
      ],
    };
  }, [rows, t]);

  if (!loading && !error && rows.length === 0) {
    return <Empty description={t('risk.score.empty')} />;
  }
  return (
    <>
      <ErrorAlert error={error} />
      <Row gutter={16}>
        {[champion, challenger].map((row) =>
          row ? (
            <Col key={row.role} xs={24} md={12}>
              <Card
                size="small"
                title={
                  <span>
                    {t('risk.score.current')}{' '}
                    <Tag color={row.role === 'champion' ? 'green' : 'purple'}>
                      {t(`risk.score.${row.role}`)}
                    </Tag>
                  </span>
                }
              >
                <Descriptions size="small" column={2}>
                  <Descriptions.Item label={t('risk.score.score')}>
                    <strong data-testid={`score-${row.role}`}>{row.score}</strong>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('risk.score.band')}>{row.band}</Descriptions.Item>
                  <Descriptions.Item label={t('risk.score.payProbability')}>
                    {percent(payProbability(row))}
                  </Descriptions.Item>
                  <Descriptions.Item label={t('risk.score.asOf')}>{formatDate(row.as_of)}</Descriptions.Item>
                  <Descriptions.Item label={t('risk.score.model')} span={2}>
                    {row.model}
                  </Descriptions.Item>
                </Descriptions>
                <Typography.Text strong>{t('risk.score.reasons')}</Typography.Text>
                <section aria-label={`${t('risk.score.reasons')} (${t(`risk.score.${row.role}`)})`}>
                  <List
                    size="small"
                    dataSource={row.reasons}
                    locale={{ emptyText: t('risk.score.noReasons') }}
                    renderItem={(reason) => <List.Item key={reason.code}>{reason.text[language]}</List.Item>}
                  />
                </section>
              </Card>
            </Col>
          ) : null,
        )}
      </Row>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('risk.score.history')}
      </Typography.Title>
      <Chart option={option} label={t('risk.score.historyLabel')} />
    </>
  );
}
