/** Clients' contracts: the terms that decide allocation, commission, netting and discounts. Pure. */
import type { Component } from '../db/schema.ts';
import { HuikuanError } from '../shared/errors.ts';
import { isSupportedCurrency, supportedCurrencies } from '../shared/money.ts';

export interface CommissionBand {
  fromDpd: number;
  /** Inclusive upper bound; null = no upper bound. */
  toDpd: number | null;
  rateBp: number;
}

export interface ContractTerms {
  currency: string;
  jurisdiction: string;
  waterfall: Component[];
  commission: CommissionBand[];
  netting: boolean;
  discountLimitBp: number;
  accrualAllowed: boolean;
  /**
   * The contract's last day (null: open-ended). After it, the client's recalled or closed accounts'
   * personal data is due for anonymisation once the grace period has passed (src/retention).
   */
  endsOn: string | null;
}

export interface Contract extends ContractTerms {
  id: bigint;
  clientId: bigint;
  version: number;
  effectiveFrom: string;
}

export const components: readonly Component[] = ['principal', 'interest', 'fees', 'penalty'];
export const defaultWaterfall: Component[] = ['penalty', 'fees', 'interest', 'principal'];
export const jurisdictions = ['CN', 'US', 'UK'] as const;

export const defaultTerms: ContractTerms = {
  currency: 'CNY',
  jurisdiction: 'CN',
  waterfall: defaultWaterfall,
  commission: [{ fromDpd: 0, toDpd: null, rateBp: 2000 }],
  netting: true,
  discountLimitBp: 0,
  accrualAllowed: true,
  endsOn: null,
};

/** The contract must not end before the version takes effect. */
export function checkEndsOn(endsOn: string | null, effectiveFrom: string): void {
  if (endsOn !== null && endsOn < effectiveFrom) {
    throw new HuikuanError(
      'bad_usage',
      `--ends ${endsOn} is before the version's effective date ${effectiveFrom}; a contract ends on or after it takes effect.`,
    );
  }
}

const maxRateBp = 10_000;

/** "0-90:1500,91-180:2500,181-:3500" → bands; they must start at 0, touch, and end open. */
export function parseCommissionSchedule(text: string): CommissionBand[] {
  const bands: CommissionBand[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const match = /^(\d+)-(\d*):(\d+)$/.exec(part);
    if (!match) {
      throw new HuikuanError(
        'bad_usage',
        `--commission: "${part}" is not a band; write FROM-TO:RATE_BP, e.g. 0-90:1500,91-180:2500,181-:3500`,
      );
    }
    const rateBp = Number(match[3]);
    bands.push({ fromDpd: Number(match[1]), toDpd: match[2] === '' ? null : Number(match[2]), rateBp });
  }
  validateCommission(bands);
  return bands;
}

export function validateCommission(bands: CommissionBand[]): void {
  const fail = (why: string) => {
    throw new HuikuanError('bad_usage', `--commission: ${why}`);
  };
  if (bands.length === 0) fail('give at least one band, e.g. 0-:2000');
  let expectedFrom = 0;
  bands.forEach((band, index) => {
    if (band.fromDpd !== expectedFrom) {
      fail(
        `bands must start at 0 days past due and follow each other without gaps or overlaps (expected a band from ${expectedFrom})`,
      );
    }
    if (band.rateBp < 0 || band.rateBp > maxRateBp || !Number.isInteger(band.rateBp)) {
      fail(`rate ${band.rateBp} is not between 0 and ${maxRateBp} basis points`);
    }
    const last = index === bands.length - 1;
    if (band.toDpd === null) {
      if (!last) fail('only the last band may be open-ended (FROM-)');
    } else {
      if (band.toDpd < band.fromDpd) fail(`band ${band.fromDpd}-${band.toDpd} ends before it starts`);
      if (last) fail('the last band must be open-ended, e.g. 181-:3500, so every payment has a rate');
      expectedFrom = band.toDpd + 1;
    }
  });
}

export function formatCommissionSchedule(bands: CommissionBand[]): string {
  return bands.map((b) => `${b.fromDpd}-${b.toDpd ?? ''}:${b.rateBp}`).join(',');
}

/** The rate in force for a payment made `dpd` days past due (a payment before delinquency counts as 0). */
export function commissionRateFor(contract: Pick<ContractTerms, 'commission'>, dpd: number): number {
  const days = Math.max(0, dpd);
  const band = contract.commission.find((b) => days >= b.fromDpd && (b.toDpd === null || days <= b.toDpd));
  if (!band)
    throw new HuikuanError('invalid_state', `The contract has no commission rate for ${days} days past due.`);
  return band.rateBp;
}

export function parseWaterfall(text: string): Component[] {
  const parts = text.split(',').map((p) => p.trim().toLowerCase());
  const valid =
    parts.length === 4 &&
    new Set(parts).size === 4 &&
    parts.every((p) => components.includes(p as Component));
  if (!valid) {
    throw new HuikuanError(
      'bad_usage',
      `--waterfall must name each of penalty, fees, interest, principal once, in payment order (got "${text}")`,
    );
  }
  return parts as Component[];
}

export function parseOnOff(text: string, option: string): boolean {
  const value = text.trim().toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(value)) return true;
  if (['off', 'false', 'no', '0'].includes(value)) return false;
  throw new HuikuanError('bad_usage', `${option} takes on or off (got "${text}")`);
}

export function parseBasisPoints(text: string, option: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value > maxRateBp) {
    throw new HuikuanError(
      'bad_usage',
      `${option} takes basis points from 0 to ${maxRateBp} (got "${text}")`,
    );
  }
  return value;
}

export function validateCurrency(code: string): string {
  const upper = code.trim().toUpperCase();
  if (!isSupportedCurrency(upper)) {
    throw new HuikuanError(
      'bad_usage',
      `--currency "${code}" is not supported; use one of ${supportedCurrencies.join(', ')}`,
    );
  }
  return upper;
}

export function validateJurisdiction(code: string): string {
  const upper = code.trim().toUpperCase();
  if (!(jurisdictions as readonly string[]).includes(upper)) {
    throw new HuikuanError(
      'bad_usage',
      `--jurisdiction "${code}" is not a profile; use one of ${jurisdictions.join(', ')}`,
    );
  }
  return upper;
}

export function validateClientCode(code: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(code)) {
    throw new HuikuanError(
      'bad_usage',
      `Client code "${code}" must be 1–32 letters, digits, "_" or "-", starting with a letter or digit.`,
    );
  }
  return code;
}

/**
 * The contract version in force on `date`: the latest effective_from on or before the date, the
 * highest version among those; before the first version's date, the first version (a client's
 * terms exist from the day it was added, and back-dated payments still need terms).
 */
export function versionInForce<T extends { effectiveFrom: string; version: number }>(
  versions: readonly T[],
  date: string,
): T | undefined {
  let inForce: T | undefined;
  let first: T | undefined;
  for (const v of versions) {
    if (
      !first ||
      v.effectiveFrom < first.effectiveFrom ||
      (v.effectiveFrom === first.effectiveFrom && v.version < first.version)
    ) {
      first = v;
    }
    if (v.effectiveFrom > date) continue;
    if (
      !inForce ||
      v.effectiveFrom > inForce.effectiveFrom ||
      (v.effectiveFrom === inForce.effectiveFrom && v.version > inForce.version)
    ) {
      inForce = v;
    }
  }
  return inForce ?? first;
}
