/**
 * The visual condition builder: nested all / any groups of conditions; each condition a field picked
 * by group (account, debtor, behaviour, score), an operator its type allows and a value typed by the
 * field (money in yuan kept as exact minor units, enums as selects, `in` as tags, `between` as two).
 */
import { Button, Input, InputNumber, Select, Space } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  amountTextToMinor,
  type Condition,
  defaultValue,
  type FieldSpec,
  fieldGroups,
  fieldNames,
  fieldSpec,
  groupOf,
  isGroup,
  type Leaf,
  minorToAmountText,
  newLeaf,
  operatorsFor,
  type Scalar,
  strategyFields,
} from './model.ts';
import { ProblemField } from './ProblemField.tsx';
import { useWords } from './words.ts';

export function ConditionEditor({
  condition,
  path,
  onChange,
  onRemove,
  depth = 1,
}: {
  condition: Condition;
  path: string;
  onChange: (next: Condition) => void;
  onRemove?: () => void;
  depth?: number;
}) {
  const { t } = useTranslation();
  if (!condition || typeof condition !== 'object') {
    return (
      <ProblemField path={path}>
        <Button size="small" onClick={() => onChange({ all: [] })}>
          {t('strategies.editor.addGroup')}
        </Button>
      </ProblemField>
    );
  }
  if (!isGroup(condition)) {
    return <LeafEditor leaf={condition} path={path} onChange={onChange} onRemove={onRemove} />;
  }
  const { kind, items: raw } = groupOf(condition);
  const items = Array.isArray(raw) ? raw : [];
  const setItems = (next: Condition[]) => onChange(kind === 'all' ? { all: next } : { any: next });
  return (
    <ProblemField path={path}>
      <div
        className="hk-condition-group"
        data-testid={`group-${path}`}
        style={{ borderLeft: '3px solid #d9d9d9', paddingLeft: 10, marginBottom: 6 }}
      >
        <Space wrap style={{ marginBottom: 6 }}>
          <Select
            size="small"
            aria-label={t('strategies.editor.group')}
            value={kind}
            style={{ width: 170 }}
            onChange={(next: 'all' | 'any') => onChange(next === 'all' ? { all: items } : { any: items })}
            options={[
              { value: 'all', label: t('strategies.editor.all') },
              { value: 'any', label: t('strategies.editor.any') },
            ]}
          />
          <Button size="small" onClick={() => setItems([...items, newLeaf('dpd')])}>
            {t('strategies.editor.addCondition')}
          </Button>
          {depth < 6 && (
            <Button size="small" onClick={() => setItems([...items, { all: [] }])}>
              {t('strategies.editor.addGroup')}
            </Button>
          )}
          {onRemove && (
            <Button size="small" danger onClick={onRemove}>
              {t('strategies.editor.remove')}
            </Button>
          )}
        </Space>
        {items.map((item, i) => (
          <ConditionEditor
            // biome-ignore lint/suspicious/noArrayIndexKey: conditions have no identity but their place
            key={i}
            condition={item}
            path={`${path}.${kind}[${i}]`}
            depth={depth + 1}
            onChange={(next) => setItems(items.map((old, j) => (j === i ? next : old)))}
            onRemove={() => setItems(items.filter((_old, j) => j !== i))}
          />
        ))}
      </div>
    </ProblemField>
  );
}

function LeafEditor({
  leaf,
  path,
  onChange,
  onRemove,
}: {
  leaf: Leaf;
  path: string;
  onChange: (next: Leaf) => void;
  onRemove?: () => void;
}) {
  const { t } = useTranslation();
  const words = useWords();
  const spec = fieldSpec(leaf.field);
  const ops = spec ? operatorsFor[spec.type] : [];
  return (
    <ProblemField path={path}>
      <Space wrap align="start" data-testid={`leaf-${path}`} style={{ marginBottom: 4 }}>
        <ProblemField path={`${path}.field`}>
          <Select
            size="small"
            showSearch={{ optionFilterProp: 'label' }}
            aria-label={t('strategies.editor.field')}
            style={{ width: 200 }}
            value={leaf.field}
            onChange={(field: string) => onChange(newLeaf(field as keyof typeof strategyFields))}
            options={fieldGroups.map((group) => ({
              label: t(`strategies.groups.${group}`),
              options: fieldNames
                .filter((name) => strategyFields[name].group === group)
                .map((name) => ({ value: name, label: words(`fields.${name}`) ?? name })),
            }))}
          />
        </ProblemField>
        <ProblemField path={`${path}.op`}>
          <Select
            size="small"
            aria-label={t('strategies.editor.operator')}
            style={{ width: 120 }}
            value={leaf.op}
            onChange={(op: string) =>
              onChange({ ...leaf, op, value: spec ? defaultValue(spec, op) : leaf.value })
            }
            options={ops.map((op) => ({ value: op, label: words(`ops.${op}`) ?? op }))}
          />
        </ProblemField>
        <ProblemField path={`${path}.value`}>
          {spec ? (
            <ValueInput
              spec={spec}
              op={leaf.op}
              value={leaf.value}
              onChange={(value) => onChange({ ...leaf, value })}
            />
          ) : (
            <span />
          )}
        </ProblemField>
        {onRemove && (
          <Button size="small" danger onClick={onRemove}>
            {t('strategies.editor.remove')}
          </Button>
        )}
      </Space>
    </ProblemField>
  );
}

function ValueInput({
  spec,
  op,
  value,
  onChange,
}: {
  spec: FieldSpec;
  op: string;
  value: Scalar | Scalar[];
  onChange: (value: Scalar | Scalar[]) => void;
}) {
  const { t } = useTranslation();
  const words = useWords();
  if (op === 'is_empty') {
    return (
      <Select
        size="small"
        aria-label={t('strategies.editor.value')}
        style={{ width: 120 }}
        value={value === false ? 'no' : 'yes'}
        onChange={(next: string) => onChange(next === 'yes')}
        options={[
          { value: 'yes', label: t('strategies.editor.emptyYes') },
          { value: 'no', label: t('strategies.editor.emptyNo') },
        ]}
      />
    );
  }
  const list = Array.isArray(value) ? value : [value];
  if (op === 'between') {
    return (
      <Space size={4}>
        <SingleValue
          spec={spec}
          label={t('strategies.editor.low')}
          value={list[0]}
          onChange={(low) => onChange([low, list[1] ?? low])}
        />
        <span>–</span>
        <SingleValue
          spec={spec}
          label={t('strategies.editor.high')}
          value={list[1]}
          onChange={(high) => onChange([list[0] ?? high, high])}
        />
      </Space>
    );
  }
  if (op === 'in' || op === 'not_in') {
    if (spec.type === 'enum') {
      return (
        <Select
          size="small"
          mode="multiple"
          aria-label={t('strategies.editor.value')}
          style={{ minWidth: 200 }}
          value={list.map(String)}
          onChange={(next: string[]) => onChange(next)}
          options={(spec.values ?? []).map((v) => ({ value: v, label: words(`values.${v}`) ?? v }))}
        />
      );
    }
    const shown = list.map((item) =>
      spec.type === 'money' ? (minorToAmountText(item) ?? String(item)) : String(item),
    );
    return (
      <Select
        size="small"
        mode="tags"
        aria-label={t('strategies.editor.value')}
        style={{ minWidth: 200 }}
        value={shown}
        open={false}
        suffixIcon={spec.type === 'money' ? t('strategies.editor.yuan') : null}
        onChange={(next: string[]) => {
          const parsed: Scalar[] = [];
          for (const text of next) {
            if (spec.type === 'int') {
              if (/^-?\d+$/.test(text.trim())) parsed.push(Number(text.trim()));
            } else if (spec.type === 'money') {
              const minor = amountTextToMinor(text);
              if (minor !== null) parsed.push(minor);
            } else parsed.push(text);
          }
          onChange(parsed);
        }}
      />
    );
  }
  return <SingleValue spec={spec} label={t('strategies.editor.value')} value={list[0]} onChange={onChange} />;
}

function SingleValue({
  spec,
  label,
  value,
  onChange,
}: {
  spec: FieldSpec;
  label: string;
  value: Scalar | undefined;
  onChange: (value: Scalar) => void;
}) {
  const { t } = useTranslation();
  const words = useWords();
  switch (spec.type) {
    case 'int':
      return (
        <InputNumber
          size="small"
          aria-label={label}
          precision={0}
          style={{ width: 110 }}
          value={typeof value === 'number' ? value : null}
          onChange={(next) => onChange(typeof next === 'number' ? next : 0)}
        />
      );
    case 'money':
      return <AmountInput label={label} value={value} onChange={onChange} />;
    case 'enum':
      return (
        <Select
          size="small"
          aria-label={label}
          style={{ width: 160 }}
          value={value === undefined ? undefined : String(value)}
          onChange={(next: string) => onChange(next)}
          options={(spec.values ?? []).map((v) => ({ value: v, label: words(`values.${v}`) ?? v }))}
        />
      );
    case 'bool':
      return (
        <Select
          size="small"
          aria-label={label}
          style={{ width: 90 }}
          value={value === false ? 'no' : 'yes'}
          onChange={(next: string) => onChange(next === 'yes')}
          options={[
            { value: 'yes', label: t('common.yes') },
            { value: 'no', label: t('common.no') },
          ]}
        />
      );
    default:
      return (
        <Input
          size="small"
          aria-label={label}
          style={{ width: 160 }}
          value={value === undefined ? '' : String(value)}
          onChange={(event) => onChange(event.target.value)}
        />
      );
  }
}

/** An amount typed in yuan; the document keeps its minor units (a string of digits) exactly. */
function AmountInput({
  label,
  value,
  onChange,
}: {
  label: string;
  value: Scalar | undefined;
  onChange: (value: Scalar) => void;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => minorToAmountText(value) ?? '');
  // biome-ignore lint/correctness/useExhaustiveDependencies: only the document's value drives this
  useEffect(() => {
    // a change from outside (the JSON view): show it unless the text already means it
    const current = amountTextToMinor(text);
    if (value !== undefined && current !== String(value)) setText(minorToAmountText(value) ?? String(value));
  }, [value]);
  const bad = text.trim() !== '' && amountTextToMinor(text) === null;
  return (
    <Input
      size="small"
      aria-label={label}
      inputMode="decimal"
      prefix="¥"
      suffix={t('strategies.editor.yuan')}
      status={bad ? 'error' : undefined}
      style={{ width: 170, fontVariantNumeric: 'tabular-nums' }}
      value={text}
      onChange={(event) => {
        setText(event.target.value);
        const minor = amountTextToMinor(event.target.value);
        if (minor !== null) onChange(minor);
      }}
    />
  );
}
