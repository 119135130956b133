/** The agent workspace's pure helpers: keys, disposition shortcuts, instalments in minor units, zones. */
import { describe, expect, it } from 'vitest';
import { countryZones, debtorZone } from '../../src/compliance/holds-model.ts';
import { dispositions as serverDispositions } from '../../src/worklist/model.ts';
import {
  addMonths,
  commandOf,
  dispositionShortcuts,
  dispositions,
  followUpOf,
  instantOf,
  monthlyDates,
  moveIndex,
  nextIndex,
  planProblem,
  splitInstalments,
  wallTimeIn,
  zoneOfDebtor,
} from '../../web/src/pages/workspace/model.ts';

const input = { tagName: 'INPUT', getAttribute: () => null };
const combobox = { tagName: 'DIV', getAttribute: (name: string) => (name === 'role' ? 'combobox' : null) };
const body = { tagName: 'BODY', getAttribute: () => null };

describe('workspace keys', () => {
  it('maps the letters to actions and moves, case-insensitively', () => {
    expect(commandOf({ key: 'a', target: body }, false)).toEqual({ kind: 'action', action: 'attempt' });
    expect(commandOf({ key: 'C', target: body }, false)).toEqual({ kind: 'action', action: 'call' });
    expect(commandOf({ key: 'l', target: body }, false)).toEqual({ kind: 'action', action: 'plan' });
    expect(commandOf({ key: 'm', target: body }, false)).toEqual({ kind: 'action', action: 'message' });
    expect(commandOf({ key: 'n', target: body }, false)).toEqual({ kind: 'next' });
    expect(commandOf({ key: 'j', target: body }, false)).toEqual({ kind: 'down' });
    expect(commandOf({ key: 'k', target: body }, false)).toEqual({ kind: 'up' });
    expect(commandOf({ key: 'x', target: body }, false)).toBeNull();
  });

  it('does not fire while typing, with modifiers, or (letters) in an open dialog; Esc closes it', () => {
    expect(commandOf({ key: 'a', target: input }, false)).toBeNull();
    expect(commandOf({ key: 'n', target: { tagName: 'textarea' } }, false)).toBeNull();
    expect(commandOf({ key: 'n', target: combobox }, false)).toBeNull();
    expect(commandOf({ key: 'n', target: { tagName: 'DIV', isContentEditable: true } }, false)).toBeNull();
    expect(commandOf({ key: 'a', ctrlKey: true, target: body }, false)).toBeNull();
    expect(commandOf({ key: 'c', metaKey: true, target: body }, false)).toBeNull();
    expect(commandOf({ key: 'p', target: body }, true)).toBeNull();
    expect(commandOf({ key: 'Escape', target: input }, true)).toEqual({ kind: 'close' });
    expect(commandOf({ key: 'Escape', target: body }, false)).toBeNull();
  });

  it('takes N to the top of the re-sorted queue other than the current account', () => {
    expect(nextIndex(['7', '8', '9'], '9')).toBe(0);
    expect(nextIndex(['7', '8', '9'], '7')).toBe(1);
    expect(nextIndex(['7'], '7')).toBe(-1);
    expect(nextIndex([], null)).toBe(-1);
    expect(nextIndex(['7', '8'], null)).toBe(0);
  });

  it('moves along the queue within its ends', () => {
    expect(moveIndex(0, 3, 'next')).toBe(1);
    expect(moveIndex(2, 3, 'down')).toBe(2);
    expect(moveIndex(0, 3, 'up')).toBe(0);
    expect(moveIndex(2, 3, 'up')).toBe(1);
    expect(moveIndex(-1, 3, 'next')).toBe(0);
    expect(moveIndex(0, 0, 'next')).toBe(-1);
  });
});

describe('dispositions', () => {
  it('has nine distinct digit shortcuts of known dispositions', () => {
    const values = Object.values(dispositionShortcuts);
    expect(Object.keys(dispositionShortcuts).sort()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(new Set(values).size).toBe(9);
    for (const value of values) expect(dispositions).toContain(value);
  });

  it('says the follow-up each implies', () => {
    expect(followUpOf('promise_to_pay')).toBe('promise');
    expect(followUpOf('call_back_requested')).toBe('callback');
    expect(followUpOf('hardship')).toBe('hardship');
    expect(followUpOf('dispute')).toBe('hold');
    expect(followUpOf('deceased')).toBe('hold');
    expect(followUpOf('bankruptcy')).toBe('hold');
    expect(followUpOf('no_answer')).toBeNull();
  });
});

describe('instalments in minor units', () => {
  it('splits exactly, the remainder on the first ones', () => {
    expect(splitInstalments(1000n, 3)).toEqual([334n, 333n, 333n]);
    expect(splitInstalments(1_057_000n, 4)).toEqual([264_250n, 264_250n, 264_250n, 264_250n]);
    expect(splitInstalments(2n, 3)).toEqual([1n, 1n, 0n]);
    const big = 900_719_925_474_099_301n;
    expect(splitInstalments(big, 7).reduce((a, b) => a + b, 0n)).toBe(big);
    expect(splitInstalments(100n, 0)).toEqual([]);
    expect(splitInstalments(0n, 2)).toEqual([]);
  });

  it('adds months keeping the day or the last of the month', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2026-11-15', 3)).toBe('2027-02-15');
    expect(monthlyDates('2026-12-10', 3)).toEqual(['2026-12-10', '2027-01-10', '2027-02-10']);
  });

  it('refuses instalments that do not sum to the total, saying by how much', () => {
    const rows = [
      { due_on: '2026-12-01', amount_minor: 500n },
      { due_on: '2027-01-01', amount_minor: 400n },
    ];
    expect(planProblem(1000n, rows)).toEqual({ kind: 'sum', sum: 900n, difference: 100n });
    expect(planProblem(900n, rows)).toBeNull();
    expect(planProblem(800n, rows)).toEqual({ kind: 'sum', sum: 900n, difference: -100n });
    expect(planProblem(900n, [])).toEqual({ kind: 'empty' });
    expect(planProblem(900n, [{ due_on: '2026-12-01', amount_minor: 0n }])).toEqual({
      kind: 'amount',
      row: 1,
    });
    expect(planProblem(900n, [{ due_on: '', amount_minor: 900n }])).toEqual({ kind: 'date', row: 1 });
    expect(planProblem(900n, [rows[1] as never, rows[0] as never])).toEqual({ kind: 'order', row: 2 });
  });
});

describe('zones', () => {
  it('reads a local time in one zone on the clock of another', () => {
    const instant = instantOf('2026-03-01 14:30', 'Asia/Shanghai');
    expect(instant).toBe(Date.UTC(2026, 2, 1, 6, 30));
    expect(wallTimeIn(instant as number, 'Europe/London')).toBe('2026-03-01 06:30');
    // London in summer time
    const summer = instantOf('2026-07-01 09:00', 'Europe/London') as number;
    expect(wallTimeIn(summer, 'Asia/Shanghai')).toBe('2026-07-01 16:00');
    expect(instantOf('tomorrow', 'Asia/Shanghai')).toBeNull();
  });
});

describe('the lists the web keeps of the server’s', () => {
  it('has the server’s dispositions, in its order', () => {
    expect([...dispositions]).toEqual([...serverDispositions]);
  });

  it('reads a debtor’s zone as the server does, for every country it knows and others', () => {
    for (const country of [...Object.keys(countryZones), 'US', 'FR', 'JP', null]) {
      expect([country, zoneOfDebtor(country)]).toEqual([country, debtorZone(country)]);
    }
  });
});
