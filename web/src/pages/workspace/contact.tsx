/**
 * The workspace's contact actions, the gate's verdict always first: the call (choose the debtor's
 * phone, read the verdict for it from the preview, dial through the PBX from the agent's extension,
 * then the disposition) and the message from a template (the Channels tab's send flow). A refused
 * point's button is disabled with the reasons in plain words; so are both actions while the agent's
 * training record is not current.
 */
import { Alert, Button, Input, Modal, Radio, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../../api.ts';
import { GateReasons } from '../../components/GateReasons.tsx';
import { useSubmit } from '../../hooks.ts';
import { tDynamic } from '../../i18n.ts';
import { type ChannelsState, type Point, SendFromTemplate } from '../account/ChannelsTab.tsx';

export type ContactChannel = 'call' | 'sms' | 'email';

/** The points a channel can use, each with the gate's verdict for it now. */
export function pointsFor(state: ChannelsState | undefined, channel: ContactChannel) {
  const kind = channel === 'email' ? 'email' : 'phone';
  return (state?.points ?? [])
    .filter((point) => point.kind === kind)
    .map((point) => ({
      point,
      preview: point.channels.find((entry) => entry.channel === channel)?.preview ?? null,
    }));
}

/** Whether any point of the channel is allowed now (the action's button is enabled only then). */
export function channelAllowed(state: ChannelsState | undefined, channel: ContactChannel): boolean {
  return pointsFor(state, channel).some((entry) => entry.preview && entry.preview.verdict !== 'deny');
}

/** The reasons the gate refuses every point of a channel (the first point's, in plain words). */
export function refusalOf(state: ChannelsState | undefined, channel: ContactChannel): string[] {
  const entries = pointsFor(state, channel);
  const refused = entries.find((entry) => entry.preview?.verdict === 'deny');
  return refused?.preview?.reasons ?? [];
}

const extensionKey = 'huikuan.extension';

interface Placed {
  message: { id: number; status: string; reasons: string[] };
  call: { state: string } | null;
}

/** Choose a phone (its verdict shown), dial; after the dial the disposition form follows (onDialled). */
export function CallDialog({
  accountId,
  state,
  onClose,
  onDialled,
}: {
  accountId: string;
  state: ChannelsState | undefined;
  onClose: () => void;
  onDialled: () => void;
}) {
  const { t } = useTranslation();
  const entries = pointsFor(state, 'call');
  const firstAllowed = entries.find((entry) => entry.preview?.verdict !== 'deny');
  const [pointId, setPointId] = useState<number | null>(
    firstAllowed?.point.id ?? entries[0]?.point.id ?? null,
  );
  const [extension, setExtension] = useState(() => localStorage.getItem(extensionKey) ?? '');
  const { busy, failure, submit } = useSubmit();
  const [placed, setPlaced] = useState<Placed | null>(null);
  const chosen = entries.find((entry) => entry.point.id === pointId);
  const refused = !chosen?.preview || chosen.preview.verdict === 'deny';
  const extensionOk = /^[0-9A-Za-z_-]{1,20}$/.test(extension);

  async function dial() {
    if (!chosen) return;
    localStorage.setItem(extensionKey, extension);
    await submit(async () => {
      const answer = await api.post<Placed>(`/accounts/${accountId}/calls`, {
        contact_point_id: String(chosen.point.id),
        extension,
      });
      setPlaced(answer);
    });
  }

  const blocked = placed?.message.status === 'blocked';
  return (
    <Modal
      open
      destroyOnHidden
      title={t('workspace.call.title')}
      onCancel={onClose}
      footer={
        placed && !blocked
          ? [
              <Button key="disposition" type="primary" onClick={onDialled}>
                {t('workspace.call.disposition')}
              </Button>,
            ]
          : [
              <Button key="cancel" onClick={onClose}>
                {t('common.cancel')}
              </Button>,
              <Button
                key="dial"
                type="primary"
                loading={busy}
                disabled={refused || !extensionOk || placed !== null}
                onClick={() => void dial()}
              >
                {t('workspace.call.dial')}
              </Button>,
            ]
      }
    >
      <Space direction="vertical" style={{ width: '100%' }}>
        {entries.length === 0 && <Alert type="info" showIcon message={t('workspace.call.noPhone')} />}
        <Radio.Group value={pointId} onChange={(event) => setPointId(event.target.value as number)}>
          <Space direction="vertical">
            {entries.map(({ point, preview }) => (
              <Radio key={point.id} value={point.id}>
                <Space align="start">
                  <span>{point.value}</span>
                  <Typography.Text type="secondary">
                    {tDynamic(`contactStatus.${point.status}`, point.status)}
                  </Typography.Text>
                  {preview && <GateReasons verdict={preview.verdict} reasons={preview.reasons} />}
                </Space>
              </Radio>
            ))}
          </Space>
        </Radio.Group>
        <div>
          <div>{t('workspace.call.extension')}</div>
          <Input
            aria-label={t('workspace.call.extension')}
            value={extension}
            maxLength={20}
            onChange={(event) => setExtension(event.target.value.trim())}
            style={{ width: 160 }}
          />
        </div>
        {placed && blocked && (
          <Alert
            type="error"
            showIcon
            message={t('workspace.call.blocked')}
            description={<GateReasons verdict="deny" reasons={placed.message.reasons} showTag={false} />}
          />
        )}
        {placed && !blocked && (
          <Alert
            type="success"
            showIcon
            message={t('workspace.call.dialled', {
              state: tDynamic(`workspace.call.states.${placed.call?.state ?? 'dialling'}`),
            })}
          />
        )}
        {failure !== null && <Alert type="error" showIcon message={errorText(failure)} />}
      </Space>
    </Modal>
  );
}

/** Choose an SMS or e-mail point the gate allows, then the Channels tab's send-from-template dialog. */
export function MessageDialog({
  accountId,
  state,
  onClose,
  onSent,
}: {
  accountId: string;
  state: ChannelsState | undefined;
  onClose: () => void;
  onSent: () => void;
}) {
  const { t } = useTranslation();
  const [chosen, setChosen] = useState<{ point: Point; channel: 'sms' | 'email' } | null>(null);
  if (chosen) {
    return (
      <SendFromTemplate
        accountId={accountId}
        point={chosen.point}
        channel={chosen.channel}
        onClose={onClose}
        onSent={onSent}
      />
    );
  }
  const rows = (['sms', 'email'] as const).flatMap((channel) =>
    pointsFor(state, channel).map((entry) => ({ ...entry, channel })),
  );
  return (
    <Modal open destroyOnHidden title={t('workspace.message.title')} onCancel={onClose} footer={null}>
      <Space direction="vertical" style={{ width: '100%' }}>
        {rows.length === 0 && <Alert type="info" showIcon message={t('workspace.message.none')} />}
        {rows.map(({ point, preview, channel }) => (
          <Space key={`${point.id}-${channel}`} align="start" wrap>
            <Button
              size="small"
              disabled={!preview || preview.verdict === 'deny'}
              onClick={() => setChosen({ point, channel })}
            >
              {t(`workspace.message.${channel}`)}
            </Button>
            <span>{point.value}</span>
            {preview && <GateReasons verdict={preview.verdict} reasons={preview.reasons} />}
          </Space>
        ))}
      </Space>
    </Modal>
  );
}
