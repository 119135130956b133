import { Descriptions } from 'antd';
import { tDynamic } from '../i18n.ts';
import { formatMinor } from '../money.ts';

/** The plain fields of a result object (counts, totals, ids) as a description list. */
export function ResultSummary({ result }: { result: Record<string, unknown> }) {
  const currency = typeof result.currency === 'string' ? result.currency : null;
  const entries = Object.entries(result).filter(
    ([, value]) => value === null || ['string', 'number', 'boolean'].includes(typeof value),
  );
  return (
    <Descriptions column={{ xs: 1, md: 2 }} size="small" bordered>
      {entries.map(([key, value]) => (
        <Descriptions.Item key={key} label={tDynamic(`resultFields.${key}`, key)}>
          {key.endsWith('_minor') ? (
            <span className="hk-money">{formatMinor(value as number, currency)}</span>
          ) : (
            String(value ?? '—')
          )}
        </Descriptions.Item>
      ))}
    </Descriptions>
  );
}
