/**
 * Sending a column of values to PostgreSQL as one parameter. node-postgres turns a JavaScript array
 * into an array literal element by element in JavaScript (escaping each), which was a seventh of the
 * payment import's time in Node and a large part of the nightly scoring's; a JSON array expanded by
 * `jsonb_array_elements_text … WITH ORDINALITY … ORDER BY` parsed and sorted every value again in
 * the database.
 */
import { type RawBuilder, sql } from 'kysely';

const separator = '\u001f';
const nullMark = '\u001e';

/**
 * A column's values ready to send: one text of the values joined by the unit separator (U+001F), a
 * null written as the record separator (U+001E), split by `string_to_array` in C; or, for a column
 * with a value holding either mark (free text can) or made of one empty string, a JSON array.
 * Plain data, so a worker thread can build it and hand it over (src/payments/read.ts).
 */
export type EncodedColumn = { text: string } | { json: string };

export function encodeColumn(values: readonly (string | number | null)[]): EncodedColumn {
  let text = '';
  let plain = values.length > 1 || values[0] !== '';
  for (let i = 0; i < values.length && plain; i++) {
    const value = values[i];
    if (value === null || value === undefined) text += i === 0 ? nullMark : separator + nullMark;
    else {
      const part = typeof value === 'number' ? String(value) : value;
      if (typeof value === 'string' && (part.includes(separator) || part.includes(nullMark))) plain = false;
      text += i === 0 ? part : separator + part;
    }
  }
  return plain ? { text } : { json: JSON.stringify(values) };
}

/** An encoded column as an SQL array of `type`, in order with nulls kept. */
export function sqlEncodedColumn(column: EncodedColumn, type: string): RawBuilder<unknown> {
  if ('text' in column)
    return sql`string_to_array(${column.text}::text, E'\x1f', E'\x1e')::${sql.raw(type)}[]`;
  return sql`ARRAY(SELECT t.v::${sql.raw(type)}
                     FROM jsonb_array_elements_text(${column.json}::jsonb) WITH ORDINALITY AS t(v, n)
                    ORDER BY t.n)`;
}

/** A column's values as an SQL array of `type`, sent as one text (`encodeColumn`). */
export function sqlColumn(values: readonly (string | number | null)[], type: string): RawBuilder<unknown> {
  return sqlEncodedColumn(encodeColumn(values), type);
}

/** Splits `array_to_string(ARRAY[…], E'\x1f', '')` back into its cells (a null cell reads as ''). */
export function splitCells(text: string): string[] {
  return text.split(separator);
}
