import { BellOutlined } from '@ant-design/icons';
import { App, Badge, Button, List, Popover, Space, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, errorText } from '../api.ts';
import { isStaff, useAuth } from '../auth.tsx';
import { formatInstant } from '../format.ts';

interface Notice {
  id: number | string;
  kind: 'risk_watch';
  account_id: number | string | null;
  rule: string | null;
  detail: string;
  created_at: string;
  read_at: string | null;
}

/** How often the bell asks for new notices. */
const pollMs = 60_000;

/**
 * The header's bell (通知): the unread count of the user's notifications (today the risk watch's new
 * entries, for supervisors), the latest in a popover; opening one marks it read and goes to the
 * account. Staff only: client users have no notifications.
 */
export function NotificationBell() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { user } = useAuth();
  const staff = isStaff(user);
  const [unread, setUnread] = useState(0);
  const [items, setItems] = useState<Notice[]>([]);
  const [open, setOpen] = useState(false);

  const load = useCallback(async () => {
    try {
      const answer = await api.get<{ unread: number; items: Notice[] }>('/notifications', { limit: 20 });
      setUnread(answer.unread);
      setItems(answer.items);
    } catch {
      // the bell stays as it was; the page's own requests report errors
    }
  }, []);

  useEffect(() => {
    if (!staff) return;
    void load();
    const timer = window.setInterval(() => void load(), pollMs);
    return () => window.clearInterval(timer);
  }, [staff, load]);

  if (!staff) return null;

  const openNotice = async (notice: Notice) => {
    try {
      if (notice.read_at === null) await api.post(`/notifications/${notice.id}/read`, {});
      setOpen(false);
      await load();
      if (notice.account_id !== null) navigate(`/accounts/${notice.account_id}`);
    } catch (caught) {
      message.error(errorText(caught));
    }
  };

  const markAll = async () => {
    try {
      const newest = items[0];
      await api.post('/notifications/read-all', newest ? { up_to_id: String(newest.id) } : {});
      await load();
    } catch (caught) {
      message.error(errorText(caught));
    }
  };

  const ruleText = (rule: string | null) =>
    rule ? t(`notifications.rules.${rule as 'lost_contact'}`, { defaultValue: rule }) : '';

  const content = (
    <div style={{ width: 360 }}>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }}>
        <Typography.Text strong>{t('notifications.unread', { count: unread })}</Typography.Text>
        <Button size="small" type="link" disabled={unread === 0} onClick={() => void markAll()}>
          {t('notifications.markAll')}
        </Button>
      </Space>
      <List<Notice>
        size="small"
        aria-label={t('notifications.bell')}
        dataSource={items}
        locale={{ emptyText: t('notifications.empty') }}
        style={{ maxHeight: 400, overflowY: 'auto' }}
        renderItem={(notice) => (
          <List.Item
            key={String(notice.id)}
            onClick={() => void openNotice(notice)}
            style={{ cursor: 'pointer', fontWeight: notice.read_at === null ? 600 : 400 }}
          >
            <List.Item.Meta
              title={`${t('notifications.riskWatch', { account: notice.account_id })} · ${ruleText(notice.rule)}`}
              description={
                <>
                  {notice.detail}
                  <br />
                  <Typography.Text type="secondary">{formatInstant(notice.created_at)}</Typography.Text>
                </>
              }
            />
          </List.Item>
        )}
      />
    </div>
  );

  return (
    <Popover
      content={content}
      trigger="click"
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) void load();
      }}
      placement="bottomRight"
    >
      <Badge count={unread} size="small" overflowCount={99}>
        <Button
          type="text"
          icon={<BellOutlined />}
          aria-label={`${t('notifications.bell')} (${t('notifications.unread', { count: unread })})`}
          data-testid="notification-bell"
        />
      </Badge>
    </Popover>
  );
}
