import { describe, expect, it } from 'vitest';
import { groupBy } from './collections.ts';

describe('groupBy', () => {
  it('groups by key in the items order, with values mapped', () => {
    const rows = [
      { client: 2n, id: 5 },
      { client: 1n, id: 3 },
      { client: 2n, id: 1 },
    ];
    expect([...groupBy(rows, (row) => row.client)]).toEqual([
      [2n, [rows[0], rows[2]]],
      [1n, [rows[1]]],
    ]);
    expect(
      groupBy(
        rows,
        (row) => row.client,
        (row) => row.id,
      ).get(2n),
    ).toEqual([5, 1]);
    expect(groupBy([], (row: number) => row).size).toBe(0);
  });
});
