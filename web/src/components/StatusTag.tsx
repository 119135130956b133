import { Tag } from 'antd';
import { tDynamic } from '../i18n.ts';

const colors: Record<string, string> = {
  pending: 'gold',
  pending_approval: 'gold',
  approved: 'green',
  verified: 'green',
  active: 'blue',
  paid: 'green',
  settled: 'cyan',
  rejected: 'red',
  recalled: 'default',
  written_off: 'default',
  closed: 'default',
  new: 'purple',
};

export function StatusTag({ status }: { status: string | null | undefined }) {
  if (!status) return <span>—</span>;
  return <Tag color={colors[status] ?? 'default'}>{tDynamic(`status.${status}`, status)}</Tag>;
}
