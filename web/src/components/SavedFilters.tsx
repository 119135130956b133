import { DeleteOutlined, SaveOutlined } from '@ant-design/icons';
import { App, Button, Form, Input, Modal, Popconfirm, Select, Space } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText } from '../api.ts';
import { useApi } from '../hooks.ts';

export type FilterValues = Record<string, string>;

interface SavedFilter {
  id: number | string;
  name: string;
  filters: FilterValues;
}

/**
 * The user's saved filters of a list (GET/POST/DELETE /saved-filters, kept on the server per user):
 * pick one to apply it, save the filters now in force under a name, delete the one picked.
 */
export function SavedFilters({
  list,
  current,
  onPick,
}: {
  list: 'accounts';
  /** The filters now in force, as the list's query parameters (empty ones left out). */
  current: () => FilterValues;
  onPick: (filters: FilterValues) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [reloadKey, setReloadKey] = useState(0);
  const { data, loading } = useApi<{ items: SavedFilter[] }>('/saved-filters', { list }, reloadKey);
  const [picked, setPicked] = useState<string | undefined>(undefined);
  const [saving, setSaving] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ name: string }>();
  const items = data?.items ?? [];
  const pickedFilter = items.find((item) => String(item.id) === picked);

  return (
    <Space wrap>
      <Select
        allowClear
        showSearch={{ optionFilterProp: 'label' }}
        loading={loading}
        style={{ width: 220 }}
        aria-label={t('savedFilters.label')}
        placeholder={t('savedFilters.placeholder')}
        notFoundContent={t('savedFilters.empty')}
        value={picked}
        options={items.map((item) => ({ value: String(item.id), label: item.name }))}
        onChange={(value: string | undefined) => {
          setPicked(value);
          const chosen = items.find((item) => String(item.id) === value);
          if (chosen) onPick(chosen.filters);
        }}
      />
      <Popconfirm
        title={t('savedFilters.deleteConfirm', { name: pickedFilter?.name ?? '' })}
        okText={t('savedFilters.delete')}
        cancelText={t('common.cancel')}
        okButtonProps={{ danger: true }}
        disabled={!pickedFilter}
        onConfirm={async () => {
          if (!pickedFilter) return;
          try {
            await api.del(`/saved-filters/${pickedFilter.id}`);
            message.success(t('savedFilters.deleted', { name: pickedFilter.name }));
            setPicked(undefined);
            setReloadKey((value) => value + 1);
          } catch (caught) {
            message.error(errorText(caught));
          }
        }}
      >
        <Button icon={<DeleteOutlined />} disabled={!pickedFilter} aria-label={t('savedFilters.delete')}>
          {t('savedFilters.delete')}
        </Button>
      </Popconfirm>
      <Button icon={<SaveOutlined />} onClick={() => setSaving(true)}>
        {t('savedFilters.save')}
      </Button>
      <Modal
        open={saving}
        title={t('savedFilters.saveTitle')}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        onCancel={() => setSaving(false)}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Form
          form={form}
          layout="vertical"
          preserve={false}
          onFinish={async (values) => {
            setBusy(true);
            try {
              const saved = await api.post<SavedFilter>('/saved-filters', {
                list,
                name: values.name.trim(),
                filters: current(),
              });
              message.success(t('savedFilters.saved', { name: saved.name }));
              setSaving(false);
              setPicked(String(saved.id));
              setReloadKey((value) => value + 1);
            } catch (caught) {
              message.error(errorText(caught));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item
            name="name"
            label={t('savedFilters.name')}
            extra={t('savedFilters.nameHelp')}
            rules={[{ required: true, whitespace: true, message: t('validation.required') }, { max: 100 }]}
          >
            <Input aria-label={t('savedFilters.name')} maxLength={100} autoFocus />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
