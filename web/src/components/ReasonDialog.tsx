import { type App, Input } from 'antd';
import type { TFunction } from 'i18next';
import type { ReactNode } from 'react';

/** A confirm dialog that asks for a reason (reject, reverse); `onOk` gets the trimmed reason. */
export function confirmWithReason(
  modal: ReturnType<typeof App.useApp>['modal'],
  t: TFunction,
  options: { title: string; okText: string; summary?: ReactNode; onOk: (reason: string) => Promise<void> },
  notify: (text: string) => void,
): void {
  let reason = '';
  modal.confirm({
    title: options.title,
    okText: options.okText,
    okButtonProps: { danger: true },
    cancelText: t('common.cancel'),
    content: (
      <div>
        {options.summary}
        <Input.TextArea
          rows={3}
          style={{ marginTop: 8 }}
          aria-label={t('common.reason')}
          placeholder={t('common.reason')}
          onChange={(event) => {
            reason = event.target.value;
          }}
        />
      </div>
    ),
    onOk: async () => {
      if (!reason.trim()) {
        notify(t('validation.reasonRequired'));
        throw new Error('reason required');
      }
      await options.onOk(reason.trim());
    },
  });
}
