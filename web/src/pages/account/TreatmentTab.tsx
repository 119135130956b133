/**
 * The account's treatment (GET /accounts/:id/treatment): the strategy version, segment and arm it is
 * in since when, its path with the steps taken and the next one, and the latest nightly decisions.
 */
import { Descriptions, Empty, Table, Tag, Timeline, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { formatDate } from '../../format.ts';
import { useApi } from '../../hooks.ts';
import type { Step } from '../strategy/model.ts';
import { stepWords, useWords } from '../strategy/words.ts';

interface Treatment {
  treatment: {
    version: number;
    segment: string;
    arm: string;
    entered_on: string;
    next_step: string | null;
    next_due: string | null;
  } | null;
  path: Array<Step & { due_on: string | null; taken: boolean }>;
  actions: Array<{
    step: string;
    task: string | null;
    team: string | null;
    reasons: string[];
    moved_at: string | null;
  }>;
  decisions: Array<{
    run_date: string;
    version: number;
    segment: string;
    arm: string;
    action: string;
    probability: number;
  }>;
}

export function TreatmentTab({ accountId }: { accountId: string }) {
  const { t } = useTranslation();
  const words = useWords();
  const { data, error, loading } = useApi<Treatment>(`/accounts/${accountId}/treatment`);
  if (error) return <ErrorAlert error={error} />;
  if (loading && !data) return null;
  const current = data?.treatment;
  if (!current) return <Empty description={t('strategies.treatment.none')} />;
  return (
    <>
      <Descriptions size="small" column={3} style={{ marginBottom: 12 }}>
        <Descriptions.Item label={t('strategies.treatment.version')}>v{current.version}</Descriptions.Item>
        <Descriptions.Item label={t('strategies.treatment.segment')}>
          <span data-testid="treatment-segment">{current.segment}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('strategies.treatment.arm')}>{current.arm}</Descriptions.Item>
        <Descriptions.Item label={t('strategies.treatment.entered')}>
          {formatDate(current.entered_on)}
        </Descriptions.Item>
        <Descriptions.Item label={t('strategies.treatment.next')}>
          {current.next_step
            ? `${current.next_step} · ${t('strategies.step.due', { date: formatDate(current.next_due) })}`
            : t('strategies.treatment.nextNone')}
        </Descriptions.Item>
      </Descriptions>
      <Typography.Title level={5}>{t('strategies.treatment.path')}</Typography.Title>
      <Timeline
        items={(data?.path ?? []).map((step) => {
          const { when, what } = stepWords(step, words);
          const next = step.code === current.next_step;
          // an escalation: moved to its team, or held back and why (the latest action of the step)
          const escalation = (data?.actions ?? []).find(
            (action) => action.step === step.code && action.task === 'escalate',
          );
          const held = escalation?.moved_at ? null : escalation?.reasons[0];
          return {
            key: step.code,
            color: step.taken ? 'green' : next ? 'blue' : 'gray',
            content: (
              <span>
                <Typography.Text strong>{when}</Typography.Text> · {what}
                {step.due_on && ` · ${formatDate(step.due_on)}`}{' '}
                {step.taken && <Tag color="green">{t('strategies.step.taken')}</Tag>}
                {next && <Tag color="blue">{t('strategies.step.next')}</Tag>}
                {escalation?.moved_at && (
                  <Tag color="purple">
                    {t('strategies.treatment.escalation.moved', { team: escalation.team ?? '' })}
                  </Tag>
                )}
                {held && (
                  <Tag color="orange" data-testid={`escalation-held-${step.code}`}>
                    {t(`strategies.treatment.escalation.${held}`, {
                      team: escalation?.team ?? '',
                      defaultValue: held,
                    })}
                  </Tag>
                )}
              </span>
            ),
          };
        })}
      />
      <Typography.Title level={5}>{t('strategies.treatment.decisions')}</Typography.Title>
      <Table
        aria-label={t('strategies.treatment.decisions')}
        size="small"
        rowKey="run_date"
        pagination={{ pageSize: 10 }}
        dataSource={data?.decisions ?? []}
        columns={[
          {
            title: t('strategies.treatment.date'),
            dataIndex: 'run_date',
            render: (d: string) => formatDate(d),
          },
          { title: t('strategies.treatment.version'), dataIndex: 'version', render: (v: number) => `v${v}` },
          { title: t('strategies.treatment.segment'), dataIndex: 'segment' },
          { title: t('strategies.treatment.arm'), dataIndex: 'arm' },
          {
            title: t('strategies.treatment.action'),
            dataIndex: 'action',
            render: (a: string) => (a === 'wait' ? t('strategies.treatment.wait') : a),
          },
          {
            title: t('strategies.treatment.probability'),
            dataIndex: 'probability',
            render: (p: number) => `${(p * 100).toFixed(0)}%`,
          },
        ]}
      />
    </>
  );
}
