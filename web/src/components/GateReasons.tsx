/**
 * The rule gate's verdict in plain words: a tag (may / may not be contacted / with conditions) and
 * each reason code as a sentence from the locale (gate.reason.*), so an agent reads why a contact
 * is refused, not a code. Shared by every page that shows a verdict or a blocked message.
 */
import { Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { tDynamic } from '../i18n.ts';

export type GateVerdict = 'allow' | 'deny' | 'allow_with_conditions';

export const verdictColour: Record<GateVerdict, string> = {
  allow: 'green',
  deny: 'red',
  allow_with_conditions: 'gold',
};

/** One reason code in plain words (the code itself when the locale has no text for it yet). */
export function gateReasonText(code: string): string {
  return tDynamic(`gate.reason.${code}`, code);
}

export function GateReasons({
  verdict,
  reasons,
  showTag = true,
}: {
  /** Without a verdict: the reasons of a blocked message (a denial). */
  verdict?: GateVerdict | null;
  reasons: readonly string[];
  showTag?: boolean;
}) {
  const { t } = useTranslation();
  const kind: GateVerdict = verdict ?? (reasons.length > 0 ? 'deny' : 'allow');
  return (
    <Space direction="vertical" size={2} data-verdict={kind}>
      {showTag && <Tag color={verdictColour[kind]}>{t(`gate.verdict.${kind}`)}</Tag>}
      {reasons.length > 0 && (
        <Typography.Text type={kind === 'deny' ? 'danger' : 'warning'}>
          {kind === 'deny' ? t('gate.refused') : t('gate.conditions')}
          {reasons.map(gateReasonText).join('；')}
        </Typography.Text>
      )}
    </Space>
  );
}
