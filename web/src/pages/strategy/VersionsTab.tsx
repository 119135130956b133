/**
 * The strategy versions (GET /strategies) and one version's view (GET /strategies/:id): its segments
 * in order with their conditions in plain words, the arms with their shares and each arm's treatment
 * path as a timeline; approve / reject for another admin or supervisor than the proposer.
 */
import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Empty,
  Space,
  Table,
  Tag,
  Timeline,
  Tooltip,
  Typography,
} from 'antd';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../../api.ts';
import { useAuth } from '../../auth.tsx';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { confirmWithReason } from '../../components/ReasonDialog.tsx';
import { formatDate, formatInstant } from '../../format.ts';
import { useApi } from '../../hooks.ts';
import { conditionWords, type Problem, type Segment, type StrategyDocument, shareText } from './model.ts';
import { problemText, stepWords, useWords } from './words.ts';

export interface VersionRow {
  id: number;
  version: number;
  name: string;
  status: 'proposed' | 'approved' | 'rejected';
  reason: string;
  proposed_by: string;
  proposed_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
  effective_from: string | null;
  in_force: boolean;
  segments: number;
}

export interface VersionDetail extends VersionRow {
  document: StrategyDocument;
  warnings: Problem[];
}

const statusColour: Record<VersionRow['status'], string> = {
  proposed: 'gold',
  approved: 'green',
  rejected: 'default',
};

export function StatusTags({ row }: { row: VersionRow }) {
  const { t } = useTranslation();
  return (
    <Space size={4}>
      <Tag color={statusColour[row.status]}>{t(`strategies.statuses.${row.status}`)}</Tag>
      {row.in_force && <Tag color="blue">{t('strategies.list.inForce')}</Tag>}
    </Space>
  );
}

export function VersionsTab({
  selected,
  onSelect,
  onEdit,
  refreshKey,
  onChanged,
}: {
  selected: number | null;
  onSelect: (id: number) => void;
  onEdit: (detail: VersionDetail | null) => void;
  refreshKey: number;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const { data, error, loading } = useApi<{ items: VersionRow[] }>('/strategies', undefined, refreshKey);
  const items = data?.items ?? [];
  const shown = selected ?? items.find((row) => row.in_force)?.id ?? items[0]?.id ?? null;
  return (
    <>
      <ErrorAlert error={error} />
      <Space style={{ marginBottom: 12 }}>
        <Button onClick={() => onEdit(null)}>{t('strategies.view.newBlank')}</Button>
      </Space>
      <Table<VersionRow>
        aria-label={t('strategies.list.title')}
        rowKey="id"
        size="small"
        loading={loading}
        dataSource={items}
        pagination={false}
        locale={{ emptyText: <Empty description={t('strategies.list.empty')} /> }}
        rowClassName={(row) => (row.id === shown ? 'ant-table-row-selected' : '')}
        onRow={(row) => ({ onClick: () => onSelect(row.id), style: { cursor: 'pointer' } })}
        columns={[
          { title: t('strategies.list.version'), dataIndex: 'version', width: 70 },
          { title: t('strategies.list.name'), dataIndex: 'name' },
          {
            title: t('strategies.list.status'),
            key: 'status',
            render: (_v, row) => <StatusTags row={row} />,
          },
          { title: t('strategies.list.proposedBy'), dataIndex: 'proposed_by' },
          { title: t('strategies.list.decidedBy'), dataIndex: 'decided_by', render: (v) => v ?? '—' },
          {
            title: t('strategies.list.effectiveFrom'),
            key: 'effective_from',
            render: (_v, row) =>
              row.status !== 'approved'
                ? '—'
                : row.effective_from
                  ? formatDate(row.effective_from)
                  : t('strategies.list.fromFirstRun'),
          },
          { title: t('strategies.list.segments'), dataIndex: 'segments', width: 80 },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_v, row) => (
              <Button size="small" type="link" onClick={() => onSelect(row.id)}>
                {t('strategies.list.view')} v{row.version}
              </Button>
            ),
          },
        ]}
      />
      {shown !== null ? (
        <VersionView key={`${shown}-${refreshKey}`} id={shown} onEdit={onEdit} onChanged={onChanged} />
      ) : (
        !loading &&
        items.length > 0 && <Typography.Paragraph>{t('strategies.view.pick')}</Typography.Paragraph>
      )}
    </>
  );
}

function VersionView({
  id,
  onEdit,
  onChanged,
}: {
  id: number;
  onEdit: (detail: VersionDetail) => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const words = useWords();
  const { user, hasRole } = useAuth();
  const { modal, message } = App.useApp();
  const { data, error, reload } = useApi<VersionDetail>(`/strategies/${id}`);
  if (error) return <ErrorAlert error={error} />;
  if (!data) return null;
  const own = data.proposed_by === user?.username;
  const canDecide = data.status === 'proposed' && hasRole('admin', 'supervisor');

  const decide = async (decision: 'approve' | 'reject', reason: string) => {
    try {
      await api.post(`/strategies/${id}/${decision}`, { reason });
      message.success(
        t(decision === 'approve' ? 'strategies.view.approved' : 'strategies.view.rejected', {
          version: data.version,
        }),
      );
      reload();
      onChanged();
    } catch (caught) {
      message.error(errorText(caught));
      throw caught;
    }
  };
  const approve = () =>
    modal.confirm({
      title: `${t('strategies.view.approve')} v${data.version}`,
      content: data.name,
      okText: t('strategies.view.approve'),
      cancelText: t('common.cancel'),
      onOk: () => decide('approve', ''),
    });
  const reject = () =>
    confirmWithReason(
      modal,
      t,
      {
        title: `${t('strategies.view.reject')} v${data.version}`,
        okText: t('strategies.view.reject'),
        onOk: (reason) => decide('reject', reason),
      },
      (text) => message.warning(text),
    );
  const decisionButton = (label: string, onClick: () => void, danger = false) => {
    const button = (
      <Button danger={danger} type={danger ? 'default' : 'primary'} disabled={own} onClick={onClick}>
        {label}
      </Button>
    );
    return own ? <Tooltip title={t('strategies.view.ownProposal')}>{button}</Tooltip> : button;
  };

  return (
    <Card
      size="small"
      style={{ marginTop: 16 }}
      title={
        <Space>
          <span data-testid="version-title">
            {t('strategies.view.title', { version: data.version, name: data.name })}
          </span>
          <StatusTags row={data} />
        </Space>
      }
      extra={
        <Space>
          {canDecide && decisionButton(t('strategies.view.approve'), approve)}
          {canDecide && decisionButton(t('strategies.view.reject'), reject, true)}
          <Button onClick={() => onEdit(data)}>{t('strategies.view.editCopy')}</Button>
        </Space>
      }
    >
      <Descriptions size="small" column={2} style={{ marginBottom: 12 }}>
        <Descriptions.Item label={t('strategies.list.proposedBy')}>
          {data.proposed_by} · {formatInstant(data.proposed_at)}
        </Descriptions.Item>
        <Descriptions.Item label={t('strategies.view.reason')}>{data.reason}</Descriptions.Item>
        {data.decided_by && (
          <Descriptions.Item label={t('strategies.list.decidedBy')}>
            {data.decided_by} · {formatInstant(data.decided_at)}
          </Descriptions.Item>
        )}
        {data.decision_reason && (
          <Descriptions.Item label={t('strategies.view.decisionReason')}>
            {data.decision_reason}
          </Descriptions.Item>
        )}
      </Descriptions>
      {data.warnings.length > 0 && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('strategies.view.warnings')}
          description={data.warnings.map((w) => `${w.path}: ${problemText(w, words)}`).join(' ')}
        />
      )}
      <DocumentView document={data.document} />
    </Card>
  );
}

/** A document's segments in order, each with its conditions in words and its arms' paths. */
export function DocumentView({ document }: { document: StrategyDocument }) {
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {document.segments.map((segment, index) => (
        <SegmentView key={segment.code} segment={segment} index={index} />
      ))}
    </Space>
  );
}

function SegmentView({ segment, index }: { segment: Segment; index: number }) {
  const { t } = useTranslation();
  const words = useWords();
  return (
    <Card
      size="small"
      type="inner"
      data-testid={`segment-${segment.code}`}
      title={t('strategies.view.segment', { index: index + 1, name: segment.name, code: segment.code })}
    >
      <Typography.Paragraph>
        <Typography.Text strong>
          {t('strategies.view.conditions')}
          {t('strategies.view.colon')}
        </Typography.Text>
        <span data-testid={`conditions-${segment.code}`}>{conditionWords(segment.conditions, words)}</span>
        {segment.test_id && (
          <span style={{ marginLeft: 16 }}>
            {t('strategies.view.test')}: <Tag>{segment.test_id}</Tag>
          </span>
        )}
      </Typography.Paragraph>
      <Space wrap align="start" size={24}>
        {segment.arms.map((arm) => (
          <div key={arm.code} style={{ minWidth: 260 }} data-testid={`arm-${segment.code}-${arm.code}`}>
            <Typography.Paragraph>
              <Tag
                color={arm.role === 'champion' ? 'green' : arm.role === 'challenger' ? 'purple' : 'default'}
              >
                {t(`strategies.roles.${arm.role as 'champion'}`)}
              </Tag>
              <Typography.Text strong>{arm.code}</Typography.Text> · {t('strategies.view.share')}{' '}
              {shareText(arm.share_bp)}%
            </Typography.Paragraph>
            {arm.steps.length === 0 ? (
              <Typography.Text type="secondary">{t('strategies.view.noSteps')}</Typography.Text>
            ) : (
              <Timeline
                items={arm.steps.map((step) => {
                  const { when, what } = stepWords(step, words);
                  return {
                    key: step.code,
                    color: step.kind === 'message' ? 'blue' : 'orange',
                    content: (
                      <span>
                        <Typography.Text strong>{when}</Typography.Text> · {what}
                      </span>
                    ),
                  };
                })}
              />
            )}
          </div>
        ))}
      </Space>
    </Card>
  );
}
