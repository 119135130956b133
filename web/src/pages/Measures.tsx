/**
 * Measures (效果评估, ../shared/spec/kpi.md): the key figures of a cut and period, the recovery curves
 * by vintage, the roll-rate heat map, the figures by a dimension and a before / after comparison. The
 * filters and the views' choices live in the URL's query, so a view can be shared and reloaded. A
 * client's users see only their own clients' figures (the server scopes every answer); they get no
 * client filter nor the agency's own cuts (team, agent, segment, arm), and the table opens by batch.
 */
import { Button, Card, Col, Empty, Row, Skeleton, Space, Spin, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { useAuth } from '../auth.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { todayIso } from '../format.ts';
import { useApi } from '../hooks.ts';
import { ByDimension } from './measures/ByDimension.tsx';
import { Compare } from './measures/Compare.tsx';
import { MeasureFilters } from './measures/Filters.tsx';
import { KpiCards } from './measures/KpiCards.tsx';
import {
  cutQuery,
  type PageState,
  periodQuery,
  readState,
  resolvedView,
  type Summary,
  withFilters,
  writeState,
} from './measures/model.ts';
import { RecoveryCurve } from './measures/RecoveryCurve.tsx';
import { RollRates } from './measures/RollRates.tsx';

function SummaryCards({ query }: { query: Record<string, string> }) {
  const { t } = useTranslation();
  const { data: answer, error, loading } = useApi<Summary>('/measures/summary', query);
  // a failed request shows its error, not the figures of the previous one
  const data = error ? undefined : answer;
  const placedNothing = data && data.values.accounts_placed === 0;
  return (
    <Card size="small" title={t('measures.kpi.title')}>
      <ErrorAlert error={error} />
      {!data ? (
        loading ? (
          <Skeleton active paragraph={{ rows: 4 }} />
        ) : null
      ) : (
        <Spin spinning={loading}>
          {placedNothing ? (
            <Empty description={t('measures.empty')}>
              <Link to="/batches">
                <Button type="primary">{t('measures.toBatches')}</Button>
              </Link>
            </Empty>
          ) : (
            <KpiCards values={data.values} currency={data.currency} />
          )}
        </Spin>
      )}
    </Card>
  );
}

export default function Measures() {
  const { t } = useTranslation();
  const { hasRole } = useAuth();
  // as the server decides (measures-routes.ts): without an agency role that reads measures, a client's view
  const clientUser = !hasRole('admin', 'supervisor', 'finance');
  const [params, setParams] = useSearchParams();
  const today = useMemo(() => todayIso(), []);
  const search = params.toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: `search` stands for the params
  const state = useMemo(() => readState(params, today, clientUser), [search, today, clientUser]);
  const view = resolvedView(state, today, clientUser);
  const update = (next: PageState) => setParams(writeState(next), { replace: true });
  const cut = cutQuery(state.filters);
  const period = periodQuery(state.filters);

  return (
    <section aria-labelledby="measures-title">
      <Typography.Title id="measures-title" level={4} style={{ marginTop: 0 }}>
        {t('measures.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('measures.intro')}</Typography.Paragraph>
      <MeasureFilters
        filters={state.filters}
        clientUser={clientUser}
        onApply={(filters) => update(withFilters(state, filters))}
      />
      <Space orientation="vertical" size={16} style={{ width: '100%' }}>
        <SummaryCards query={period} />
        <Row gutter={[16, 16]}>
          <Col xs={24} xxl={12}>
            <RecoveryCurve query={cut} />
          </Col>
          <Col xs={24} xxl={12}>
            <RollRates
              query={cut}
              month={view.rollMonth}
              onMonth={(rollMonth) => update({ ...state, view: { ...state.view, rollMonth } })}
            />
          </Col>
        </Row>
        <ByDimension
          query={period}
          dimension={view.dimension}
          clientUser={clientUser}
          onDimension={(dimension) => update({ ...state, view: { ...state.view, dimension } })}
        />
        <Compare
          query={period}
          measure={view.measure}
          before={view.before}
          onMeasure={(measure) => update({ ...state, view: { ...state.view, measure } })}
          onBefore={(before) => update({ ...state, view: { ...state.view, before } })}
        />
      </Space>
    </section>
  );
}
