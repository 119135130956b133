import { Table, type TableProps } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Page, Query } from '../api.ts';
import { useApi } from '../hooks.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/**
 * Long lists: the server pages every list (at most 200 rows a page, GET ?page=&page_size=), so the
 * browser never holds more than one page. At 20 or 50 rows a page the table is a plain semantic
 * <table> (screen readers announce rows and cells). At 100 or 200 rows a page it switches to antd 6's
 * `virtual` table, which draws only the rows in view (plus a few) in a fixed-height scroll area, so
 * scrolling a 200-row page on a 1366×768 laptop stays smooth. Virtual needs a numeric scroll.x and
 * scroll.y and lays rows out as divs, which is why it is not the default: the default keeps the
 * accessible table and the pager, and people who want a long page opt into it.
 */
export const virtualFromPageSize = 100;
const virtualHeight = 520;

export function ServerTable<T extends object>({
  path,
  query,
  columns,
  rowKey,
  label,
  expandable,
  reloadKey = 0,
  pageSize: initialPageSize = 20,
  onLoaded,
}: {
  path: string;
  query?: Query;
  columns: TableProps<T>['columns'];
  rowKey: TableProps<T>['rowKey'];
  label: string;
  expandable?: TableProps<T>['expandable'];
  reloadKey?: number;
  pageSize?: number;
  /** Called with each page the server answers (its total and, for capped counts, total_capped). */
  onLoaded?: (page: Page<T> & { total_capped?: boolean }) => void;
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
  const { data, error, loading } = useApi<Page<T> & { total_capped?: boolean }>(
    path,
    { ...query, page, page_size: pageSize },
    reloadKey,
  );
  useEffect(() => {
    if (data) onLoaded?.(data);
  }, [data, onLoaded]);
  const virtual = pageSize >= virtualFromPageSize && !expandable;
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
        virtual={virtual}
        scroll={
          virtual
            ? { x: Math.max(960, (columns?.length ?? 6) * 150), y: virtualHeight }
            : { x: 'max-content' }
        }
        locale={{ emptyText: t('common.empty') }}
        pagination={{
          current: page,
          pageSize,
          total: data?.total ?? 0,
          showSizeChanger: true,
          pageSizeOptions: [20, 50, 100, 200],
          showTotal: (total) =>
            data?.total_capped
              ? t('common.totalCapped', { count: total })
              : t('common.total', { count: total }),
          onChange: (nextPage, nextSize) => {
            setPage(nextSize !== pageSize ? 1 : nextPage);
            setPageSize(nextSize);
          },
        }}
      />
    </>
  );
}
