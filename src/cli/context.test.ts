/** The command line's one id parser (cliId), which every module's CLI uses for ids it is given. */
import { describe, expect, it } from 'vitest';
import { HuikuanError } from '../shared/errors.ts';
import { cliId } from './context.ts';

describe('cliId', () => {
  it.each([
    ['1', 1n],
    ['42', 42n],
    ['999999999999999999', 999999999999999999n],
  ])('reads %s', (text, id) => {
    expect(cliId(text, '--account')).toBe(id);
  });

  it.each(['0', '007', '-3', '1.5', '1e3', 'abc', '', ' 12', '9223372036854775808'])(
    'refuses "%s" as bad usage naming the option',
    (text) => {
      let caught: unknown;
      try {
        cliId(text, '--account');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(HuikuanError);
      expect((caught as HuikuanError).code).toBe('bad_usage');
      expect((caught as HuikuanError).message).toContain('--account must be an id');
    },
  );
});
