import { Table, type TableProps } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Page, Query } from '../api.ts';
import { useApi } from '../hooks.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/**
 * A server-paginated table: `?page=&page_size=` go to the server with the filters, and the server's
 * `total` drives the pager. `reloadKey` changing fetches again.
 */
export function ServerTable<T extends object>({
  path,
  query,
  columns,
  rowKey,
  label,
  expandable,
  reloadKey = 0,
  pageSize: initialPageSize = 20,
}: {
  path: string;
  query?: Query;
  columns: TableProps<T>['columns'];
  rowKey: TableProps<T>['rowKey'];
  label: string;
  expandable?: TableProps<T>['expandable'];
  reloadKey?: number;
  pageSize?: number;
}) {
  const { t } = useTranslation();
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(initialPageSize);
  const key = JSON.stringify(query ?? {});
  const [lastKey, setLastKey] = useState(key);
  if (key !== lastKey) {
    setLastKey(key);
    setPage(1);
  }
  const { data, error, loading } = useApi<Page<T>>(path, { ...query, page, page_size: pageSize }, reloadKey);
  return (
    <>
      <ErrorAlert error={error} />
      <Table<T>
        aria-label={label}
        size="small"
        rowKey={rowKey}
        columns={columns}
        dataSource={data?.items ?? []}
        loading={loading}
        expandable={expandable}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('common.empty') }}
        pagination={{
          current: page,
          pageSize,
          total: data?.total ?? 0,
          showSizeChanger: true,
          pageSizeOptions: [20, 50, 100, 200],
          showTotal: (total) => t('common.total', { count: total }),
          onChange: (nextPage, nextSize) => {
            setPage(nextSize !== pageSize ? 1 : nextPage);
            setPageSize(nextSize);
          },
        }}
      />
    </>
  );
}
