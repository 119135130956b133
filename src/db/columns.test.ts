import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabase } from '../../test/db.ts';
import { splitCells, sqlColumn } from './columns.ts';

const t = await testDatabase();
afterAll(() => t.drop());

async function roundTrip(values: (string | number | null)[], type: string): Promise<unknown[]> {
  const result = await sql<{ v: unknown }>`SELECT unnest(${sqlColumn(values, type)}) AS v`.execute(t.db);
  return result.rows.map((row) => row.v);
}

describe('sqlColumn', () => {
  it('sends text with nulls, empty strings and both marks, in order', async () => {
    expect(await roundTrip(['a', null, '', 'b'], 'text')).toEqual(['a', null, '', 'b']);
    expect(await roundTrip([''], 'text')).toEqual(['']);
    expect(await roundTrip([null], 'text')).toEqual([null]);
    expect(await roundTrip([], 'text')).toEqual([]);
    // a value holding a mark goes as JSON, unchanged
    expect(await roundTrip(['x\u001fy', 'z\u001e', null], 'text')).toEqual(['x\u001fy', 'z\u001e', null]);
  });

  it('sends numbers as the given type', async () => {
    expect(await roundTrip([1, 2, null, 9_007_199_254_740_993n.toString()], 'bigint')).toEqual([
      1n,
      2n,
      null,
      9_007_199_254_740_993n,
    ]);
    expect(await roundTrip([0.25, 1e-9], 'float8')).toEqual([0.25, 1e-9]);
  });
});

describe('splitCells', () => {
  it('reads back array_to_string with nulls as empty cells', async () => {
    const result = await sql<{ cells: string }>`
      SELECT array_to_string(ARRAY['1', NULL, 'M1', ''], E'\x1f', '') AS cells`.execute(t.db);
    expect(splitCells(result.rows[0]?.cells ?? '')).toEqual(['1', '', 'M1', '']);
  });
});
