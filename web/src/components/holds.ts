/**
 * What the two views of holds share (the account's Holds & consent tab, HoldsPanel.tsx, and the
 * compliance console's list, pages/compliance/HoldsTab.tsx): the kinds and sources, which are those
 * the strings name (the server's lists: src/compliance/holds-model.ts), and each status's tag colour.
 */
import zhCN from '../locales/zh-CN.ts';

export const holdKinds = Object.keys(zhCN.holds.kinds);
export const holdSources = Object.keys(zhCN.holds.sources);

export type HoldStatus = 'scheduled' | 'active' | 'ended' | 'lifted';
export const holdStatuses: readonly HoldStatus[] = ['active', 'scheduled', 'ended', 'lifted'];
export const holdStatusColour: Record<HoldStatus, string> = {
  active: 'red',
  scheduled: 'orange',
  ended: 'default',
  lifted: 'default',
};
