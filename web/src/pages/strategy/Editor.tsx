/**
 * The strategy editor: a copy of a version (or a blank one) edited as segments (add, remove, reorder)
 * with visual conditions, arms with shares and treatment steps; the same document as editable JSON,
 * kept in step; the server's problems next to the field they name and in a summary; the dry run
 * (POST /strategies/dry-run) and the proposal (POST /strategies) for another person to approve.
 */
import {
  Alert,
  App,
  Button,
  Card,
  Collapse,
  Empty,
  Input,
  InputNumber,
  List,
  Select,
  Space,
  Typography,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, errorText } from '../../api.ts';
import { useApi } from '../../hooks.ts';
import { ConditionEditor } from './ConditionEditor.tsx';
import { type DryRun, DryRunView } from './DryRunView.tsx';
import {
  type Arm,
  armRoles,
  formItemPaths,
  messageChannels,
  moved,
  type Problem,
  pathWords,
  problemsByItem,
  type Segment,
  type Step,
  type StrategyDocument,
  sharesTotal,
  shareText,
  shareToBp,
  stepAnchors,
  taskKinds,
} from './model.ts';
import { itemId, ProblemField, ProblemsContext } from './ProblemField.tsx';
import type { VersionDetail } from './VersionsTab.tsx';
import { problemText, useWords } from './words.ts';

export interface Draft {
  basedOn: number | null;
  document: StrategyDocument;
}

interface Template {
  code: string;
  channel: string;
  status: string;
}

function pretty(document: unknown): string {
  return JSON.stringify(document, null, 2);
}

function list<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

export function Editor({
  draft,
  onProposed,
}: {
  draft: Draft | null;
  onProposed: (version: VersionDetail) => void;
}) {
  const { t } = useTranslation();
  if (!draft) return <Empty description={t('strategies.editor.empty')} />;
  return <DraftEditor draft={draft} onProposed={onProposed} />;
}

function DraftEditor({ draft, onProposed }: { draft: Draft; onProposed: (version: VersionDetail) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const words = useWords();
  const [document, setDocument] = useState<StrategyDocument>(draft.document);
  const [json, setJson] = useState(() => pretty(draft.document));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [dryRun, setDryRun] = useState<DryRun | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState<'dry' | 'propose' | null>(null);
  const templates = useApi<{ items: Template[] }>('/templates', { status: 'approved' });

  const byItem = useMemo(() => problemsByItem(problems, formItemPaths(document)), [problems, document]);
  const errors = problems.filter((problem) => problem.severity === 'error');

  const change = (next: StrategyDocument) => {
    setDocument(next);
    setJson(pretty(next));
    setJsonError(null);
  };
  const segments = list(document.segments);
  const setSegments = (next: Segment[]) => change({ ...document, segments: next });
  const setSegment = (index: number, next: Segment) =>
    setSegments(segments.map((s, i) => (i === index ? next : s)));

  const send = async (kind: 'dry' | 'propose') => {
    if (kind === 'propose' && !reason.trim()) {
      message.warning(t('strategies.editor.reasonRequired'));
      return;
    }
    setBusy(kind);
    try {
      if (kind === 'dry') {
        const result = await api.post<DryRun>('/strategies/dry-run', { document });
        setDryRun(result);
        setProblems(result.warnings ?? []);
      } else {
        const version = await api.post<VersionDetail>('/strategies', { document, reason: reason.trim() });
        setProblems(version.warnings ?? []);
        message.success(t('strategies.editor.proposed', { version: version.version }));
        onProposed(version);
      }
    } catch (caught) {
      const found =
        (caught instanceof ApiError && (caught.details as { problems?: Problem[] } | null)?.problems) || null;
      if (found) {
        setProblems(found);
        if (kind === 'dry') setDryRun(null);
        message.error(
          t('strategies.editor.problems', { count: found.filter((p) => p.severity === 'error').length }),
        );
      } else message.error(errorText(caught));
    } finally {
      setBusy(null);
    }
  };

  const approvedTemplates = templates.data?.items ?? [];
  return (
    <ProblemsContext.Provider value={byItem}>
      <Space direction="vertical" style={{ width: '100%' }} size="middle">
        <Typography.Text type="secondary">
          {draft.basedOn === null
            ? t('strategies.editor.blank')
            : t('strategies.editor.basedOn', { version: draft.basedOn })}
        </Typography.Text>
        <ProblemField path="name">
          <Space>
            <Typography.Text>{t('strategies.editor.name')}</Typography.Text>
            <Input
              aria-label={t('strategies.editor.name')}
              style={{ width: 360 }}
              value={document.name ?? ''}
              onChange={(event) => change({ ...document, name: event.target.value })}
            />
          </Space>
        </ProblemField>
        <ProblemField path="segments">
          <Space direction="vertical" style={{ width: '100%' }}>
            {segments.map((segment, s) => (
              <SegmentEditor
                // biome-ignore lint/suspicious/noArrayIndexKey: a segment's place is its identity while editing
                key={s}
                index={s}
                count={segments.length}
                segment={segment}
                templates={approvedTemplates}
                onChange={(next) => setSegment(s, next)}
                onMove={(to) => setSegments(moved(segments, s, to))}
                onRemove={() => setSegments(segments.filter((_x, i) => i !== s))}
              />
            ))}
            <Button
              onClick={() =>
                setSegments([
                  ...segments,
                  {
                    code: `segment_${segments.length + 1}`,
                    name: `${t('strategies.dryRun.segment')} ${segments.length + 1}`,
                    conditions: { all: [] },
                    test_id: null,
                    arms: [{ code: 'champion', role: 'champion', share_bp: 10_000, steps: [] }],
                  },
                ])
              }
            >
              {t('strategies.editor.addSegment')}
            </Button>
          </Space>
        </ProblemField>

        <Collapse
          items={[
            {
              key: 'json',
              label: t('strategies.editor.json'),
              children: (
                <>
                  <Typography.Paragraph type="secondary">
                    {t('strategies.editor.jsonHint')}
                  </Typography.Paragraph>
                  <Input.TextArea
                    aria-label={t('strategies.editor.json')}
                    rows={18}
                    spellCheck={false}
                    style={{ fontFamily: 'monospace', fontSize: 12 }}
                    value={json}
                    onChange={(event) => {
                      setJson(event.target.value);
                      try {
                        const parsed = JSON.parse(event.target.value) as unknown;
                        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
                          throw new Error('{ "name", "segments" }');
                        }
                        setDocument(parsed as StrategyDocument);
                        setJsonError(null);
                      } catch (caught) {
                        setJsonError(caught instanceof Error ? caught.message : String(caught));
                      }
                    }}
                  />
                  {jsonError && (
                    <Typography.Text type="danger" role="alert">
                      {t('strategies.editor.jsonInvalid', { message: jsonError })}
                    </Typography.Text>
                  )}
                </>
              ),
            },
          ]}
        />

        {problems.length > 0 && (
          <Alert
            type={errors.length > 0 ? 'error' : 'warning'}
            showIcon
            data-testid="problems-summary"
            title={
              errors.length > 0
                ? t('strategies.editor.problems', { count: errors.length })
                : t('strategies.editor.problemsTitle')
            }
            description={
              <List
                size="small"
                dataSource={problems}
                renderItem={(problem) => (
                  <List.Item>
                    <Typography.Link
                      title={problem.path}
                      onClick={() =>
                        globalThis.document.getElementById(itemId(problem.path))?.scrollIntoView()
                      }
                    >
                      {pathWords(problem.path, words)}
                    </Typography.Link>
                    {t('strategies.view.colon')}
                    {problemText(problem, words)}
                  </List.Item>
                )}
              />
            }
          />
        )}

        <Card size="small">
          <Space wrap>
            <Button loading={busy === 'dry'} onClick={() => void send('dry')} disabled={jsonError !== null}>
              {t('strategies.editor.dryRun')}
            </Button>
            <Input
              aria-label={t('strategies.editor.reason')}
              placeholder={t('strategies.editor.reason')}
              style={{ width: 360 }}
              value={reason}
              maxLength={2000}
              onChange={(event) => setReason(event.target.value)}
            />
            <Button
              type="primary"
              loading={busy === 'propose'}
              disabled={jsonError !== null}
              onClick={() => void send('propose')}
            >
              {t('strategies.editor.propose')}
            </Button>
          </Space>
        </Card>
        {dryRun && <DryRunView result={dryRun} document={document} />}
      </Space>
    </ProblemsContext.Provider>
  );
}

function SegmentEditor({
  index,
  count,
  segment,
  templates,
  onChange,
  onMove,
  onRemove,
}: {
  index: number;
  count: number;
  segment: Segment;
  templates: Template[];
  onChange: (next: Segment) => void;
  onMove: (to: number) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const base = `segments[${index}]`;
  const arms = list(segment.arms);
  const total = sharesTotal(arms);
  const setArms = (next: Arm[]) => onChange({ ...segment, arms: next });
  return (
    <ProblemField path={base}>
      <Card
        size="small"
        data-testid={`edit-segment-${index}`}
        title={t('strategies.view.segment', {
          index: index + 1,
          name: segment.name ?? '',
          code: segment.code ?? '',
        })}
        extra={
          <Space>
            <Button size="small" disabled={index === 0} onClick={() => onMove(index - 1)}>
              {t('strategies.editor.moveUp')}
            </Button>
            <Button size="small" disabled={index === count - 1} onClick={() => onMove(index + 1)}>
              {t('strategies.editor.moveDown')}
            </Button>
            <Button size="small" danger disabled={count === 1} onClick={onRemove}>
              {t('strategies.editor.removeSegment')}
            </Button>
          </Space>
        }
      >
        <Space wrap align="start">
          <ProblemField path={`${base}.code`}>
            <Input
              size="small"
              addonBefore={t('strategies.editor.segmentCode')}
              aria-label={t('strategies.editor.segmentCode')}
              value={segment.code ?? ''}
              onChange={(event) => onChange({ ...segment, code: event.target.value })}
            />
          </ProblemField>
          <ProblemField path={`${base}.name`}>
            <Input
              size="small"
              addonBefore={t('strategies.editor.segmentName')}
              aria-label={t('strategies.editor.segmentName')}
              value={segment.name ?? ''}
              onChange={(event) => onChange({ ...segment, name: event.target.value })}
            />
          </ProblemField>
          <ProblemField path={`${base}.test_id`}>
            <Input
              size="small"
              addonBefore={t('strategies.editor.testId')}
              aria-label={t('strategies.editor.testId')}
              value={segment.test_id ?? ''}
              onChange={(event) => onChange({ ...segment, test_id: event.target.value.trim() || null })}
            />
          </ProblemField>
        </Space>
        <Typography.Paragraph strong style={{ margin: '8px 0 4px' }}>
          {t('strategies.view.conditions')}
        </Typography.Paragraph>
        <ConditionEditor
          condition={segment.conditions}
          path={`${base}.conditions`}
          onChange={(conditions) => onChange({ ...segment, conditions })}
        />
        <ProblemField path={`${base}.arms`}>
          <Typography.Paragraph strong style={{ margin: '8px 0 4px' }}>
            {t('strategies.editor.arms')}{' '}
            <Typography.Text
              type={total === 10_000 ? 'success' : 'danger'}
              data-testid={`shares-total-${index}`}
            >
              {t('strategies.editor.sharesTotal', { total: shareText(total) })}
            </Typography.Text>
          </Typography.Paragraph>
        </ProblemField>
        {arms.map((arm, a) => (
          <ArmEditor
            // biome-ignore lint/suspicious/noArrayIndexKey: an arm's place is its identity while editing
            key={a}
            path={`${base}.arms[${a}]`}
            testId={`edit-arm-${index}-${a}`}
            arm={arm}
            templates={templates}
            onChange={(next) => setArms(arms.map((old, i) => (i === a ? next : old)))}
            onRemove={arms.length > 1 ? () => setArms(arms.filter((_x, i) => i !== a)) : undefined}
          />
        ))}
        <Button
          size="small"
          disabled={arms.length >= 5}
          onClick={() =>
            setArms([
              ...arms,
              { code: `challenger_${arms.length}`, role: 'challenger', share_bp: 0, steps: [] },
            ])
          }
        >
          {t('strategies.editor.addArm')}
        </Button>
      </Card>
    </ProblemField>
  );
}

/** A share typed as a percentage with two decimals; the document keeps basis points. */
function ShareInput({ value, onChange }: { value: number; onChange: (bp: number) => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => shareText(value));
  const bad = shareToBp(text) === null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: only the document's value drives this
  useEffect(() => {
    // a change from outside (the JSON view): show it unless the text already means it
    if (Number.isInteger(value) && shareToBp(text) !== value) setText(shareText(value));
  }, [value]);
  return (
    <Input
      size="small"
      aria-label={t('strategies.editor.share')}
      suffix="%"
      status={bad ? 'error' : undefined}
      style={{ width: 110 }}
      value={text}
      onChange={(event) => {
        setText(event.target.value);
        const bp = shareToBp(event.target.value);
        if (bp !== null) onChange(bp);
      }}
    />
  );
}

function ArmEditor({
  path,
  testId,
  arm,
  templates,
  onChange,
  onRemove,
}: {
  path: string;
  testId: string;
  arm: Arm;
  templates: Template[];
  onChange: (next: Arm) => void;
  onRemove?: () => void;
}) {
  const { t } = useTranslation();
  const words = useWords();
  const steps = list(arm.steps);
  const setSteps = (next: Step[]) => onChange({ ...arm, steps: next });
  return (
    <ProblemField path={path}>
      <Card size="small" type="inner" data-testid={testId} style={{ marginBottom: 8 }}>
        <Space wrap align="start">
          <ProblemField path={`${path}.code`}>
            <Input
              size="small"
              addonBefore={t('strategies.editor.armCode')}
              aria-label={t('strategies.editor.armCode')}
              value={arm.code ?? ''}
              onChange={(event) => onChange({ ...arm, code: event.target.value })}
            />
          </ProblemField>
          <ProblemField path={`${path}.role`}>
            <Select
              size="small"
              aria-label={t('strategies.editor.role')}
              style={{ width: 120 }}
              value={arm.role}
              onChange={(role: string) =>
                onChange({ ...arm, role, ...(role === 'holdout' ? { steps: [] } : {}) })
              }
              options={armRoles.map((role) => ({ value: role, label: words(`roles.${role}`) ?? role }))}
            />
          </ProblemField>
          <ProblemField path={`${path}.share_bp`}>
            <ShareInput value={arm.share_bp} onChange={(share_bp) => onChange({ ...arm, share_bp })} />
          </ProblemField>
          {onRemove && (
            <Button size="small" danger onClick={onRemove}>
              {t('strategies.editor.removeArm')}
            </Button>
          )}
        </Space>
        <ProblemField path={`${path}.steps`}>
          <Typography.Paragraph type="secondary" style={{ margin: '6px 0 4px' }}>
            {t('strategies.editor.steps')}
          </Typography.Paragraph>
          {steps.map((step, i) => (
            <StepEditor
              // biome-ignore lint/suspicious/noArrayIndexKey: a step's place is its identity while editing
              key={i}
              path={`${path}.steps[${i}]`}
              testId={`${testId}-step-${i}`}
              step={step}
              templates={templates}
              onChange={(next) => setSteps(steps.map((old, j) => (j === i ? next : old)))}
              onRemove={() => setSteps(steps.filter((_x, j) => j !== i))}
            />
          ))}
          {arm.role !== 'holdout' && (
            <Button
              size="small"
              onClick={() =>
                setSteps([
                  ...steps,
                  {
                    code: `step_${steps.length + 1}`,
                    day: (steps[steps.length - 1]?.day ?? -1) + 1,
                    from: 'entry',
                    kind: 'task',
                    task: 'call',
                    priority: 50,
                  },
                ])
              }
            >
              {t('strategies.editor.addStep')}
            </Button>
          )}
        </ProblemField>
      </Card>
    </ProblemField>
  );
}

function StepEditor({
  path,
  testId,
  step,
  templates,
  onChange,
  onRemove,
}: {
  path: string;
  testId: string;
  step: Step;
  templates: Template[];
  onChange: (next: Step) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const words = useWords();
  const common = {
    code: step.code,
    day: step.day,
    from: step.from ?? 'entry',
    priority: step.priority ?? 50,
  };
  const forChannel = (channel: string) => [
    ...new Set(templates.filter((item) => item.channel === channel).map((item) => item.code)),
  ];
  const setKind = (kind: 'message' | 'task') =>
    onChange(
      kind === 'message'
        ? { ...common, kind, channel: 'sms', template: forChannel('sms')[0] ?? '' }
        : { ...common, kind, task: 'call' },
    );
  const channelTemplates = forChannel(step.channel ?? 'sms');
  return (
    <ProblemField path={path}>
      <Space wrap align="start" data-testid={testId} style={{ marginBottom: 4 }}>
        <ProblemField path={`${path}.code`}>
          <Input
            size="small"
            aria-label={t('strategies.editor.stepCode')}
            style={{ width: 110 }}
            value={step.code ?? ''}
            onChange={(event) => onChange({ ...step, code: event.target.value })}
          />
        </ProblemField>
        <ProblemField path={`${path}.day`}>
          <InputNumber
            size="small"
            aria-label={t('strategies.editor.day')}
            prefix={t('strategies.editor.day')}
            min={0}
            max={3650}
            precision={0}
            style={{ width: 110 }}
            value={typeof step.day === 'number' ? step.day : null}
            onChange={(day) => onChange({ ...step, day: typeof day === 'number' ? day : 0 })}
          />
        </ProblemField>
        <ProblemField path={`${path}.from`}>
          <Select
            size="small"
            aria-label={t('strategies.editor.from')}
            style={{ width: 150 }}
            value={step.from ?? 'entry'}
            onChange={(from: string) => onChange({ ...step, from })}
            options={stepAnchors.map((anchor) => ({
              value: anchor,
              label: words(`anchors.${anchor}`) ?? anchor,
            }))}
          />
        </ProblemField>
        <ProblemField path={`${path}.kind`}>
          <Select
            size="small"
            aria-label={t('strategies.editor.kind')}
            style={{ width: 110 }}
            value={step.kind}
            onChange={setKind}
            options={(['message', 'task'] as const).map((kind) => ({
              value: kind,
              label: t(`strategies.kinds.${kind}`),
            }))}
          />
        </ProblemField>
        {step.kind === 'message' ? (
          <>
            <ProblemField path={`${path}.channel`}>
              <Select
                size="small"
                aria-label={t('strategies.editor.channel')}
                style={{ width: 110 }}
                value={step.channel}
                onChange={(channel: string) =>
                  onChange({ ...step, channel, template: forChannel(channel)[0] ?? '' })
                }
                options={messageChannels.map((channel) => ({
                  value: channel,
                  label: words(`channels.${channel}`) ?? channel,
                }))}
              />
            </ProblemField>
            <ProblemField path={`${path}.template`}>
              <Select
                size="small"
                aria-label={t('strategies.editor.template')}
                style={{ width: 150 }}
                value={step.template || undefined}
                placeholder={
                  channelTemplates.length === 0
                    ? t('strategies.editor.noTemplates', {
                        channel: words(`channels.${step.channel ?? ''}`) ?? '',
                      })
                    : t('strategies.editor.template')
                }
                onChange={(template: string) => onChange({ ...step, template })}
                options={[...new Set([...channelTemplates, ...(step.template ? [step.template] : [])])].map(
                  (code) => ({
                    value: code,
                    label: code,
                  }),
                )}
              />
            </ProblemField>
          </>
        ) : (
          <>
            <ProblemField path={`${path}.task`}>
              <Select
                size="small"
                aria-label={t('strategies.editor.task')}
                style={{ width: 120 }}
                value={step.task}
                onChange={(task: string) => {
                  const { team: _team, ...rest } = step;
                  onChange(task === 'escalate' ? { ...rest, task, team: '' } : { ...rest, task });
                }}
                options={taskKinds.map((task) => ({ value: task, label: words(`tasks.${task}`) ?? task }))}
              />
            </ProblemField>
            {step.task === 'escalate' && (
              <ProblemField path={`${path}.team`}>
                <Input
                  size="small"
                  aria-label={t('strategies.editor.team')}
                  placeholder={t('strategies.editor.team')}
                  style={{ width: 150 }}
                  value={step.team ?? ''}
                  onChange={(event) => onChange({ ...step, team: event.target.value })}
                />
              </ProblemField>
            )}
          </>
        )}
        <ProblemField path={`${path}.priority`}>
          <InputNumber
            size="small"
            aria-label={t('strategies.editor.priority')}
            prefix={t('strategies.editor.priority')}
            min={0}
            max={100}
            precision={0}
            style={{ width: 130 }}
            value={step.priority ?? 50}
            onChange={(priority) =>
              onChange({ ...step, priority: typeof priority === 'number' ? priority : 50 })
            }
          />
        </ProblemField>
        <Button size="small" danger onClick={onRemove}>
          {t('strategies.editor.remove')}
        </Button>
      </Space>
    </ProblemField>
  );
}
