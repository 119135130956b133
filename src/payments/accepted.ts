/**
 * The payments of a file that passed validation, kept column by column until they are posted: a
 * 200,000-row file would otherwise hold 400,000 small objects and as many bigints, and the garbage
 * collector's work on them cost more than the validation itself. PaymentInput objects are made
 * only for the chunk being posted.
 */
import type { PaymentInput } from './ledger-port.ts';
import { type Channel, channelNames } from './model.ts';

export interface AcceptedPayment {
  row: number;
  externalId: string;
  accountId: bigint;
  amountMinor: bigint;
  currency: string;
  paidOn: string;
  paidAt: string | null;
  channel: Channel;
  payerName: string | undefined;
  reference: string | undefined;
}

export class AcceptedPayments {
  length = 0;
  private rows = new Int32Array(1024);
  private accountIds = new BigInt64Array(1024);
  private amounts = new BigInt64Array(1024);
  private channels = new Uint8Array(1024);
  private currencyIndex = new Uint8Array(1024);
  private readonly currencies: string[] = [];
  private readonly externalIds: string[] = [];
  private readonly paidOn: string[] = [];
  private readonly paidAt: (string | null)[] = [];
  private readonly payerNames: (string | undefined)[] = [];
  private readonly references: (string | undefined)[] = [];
  /** Dates repeat across rows: keep one string per date. */
  private readonly dates = new Map<string, string>();

  push(p: AcceptedPayment): void {
    if (this.length === this.rows.length) this.grow();
    const i = this.length++;
    this.rows[i] = p.row;
    this.accountIds[i] = p.accountId;
    this.amounts[i] = p.amountMinor;
    this.channels[i] = channelNames.indexOf(p.channel);
    let currency = this.currencies.indexOf(p.currency);
    if (currency < 0) currency = this.currencies.push(p.currency) - 1;
    this.currencyIndex[i] = currency;
    this.externalIds.push(p.externalId);
    let date = this.dates.get(p.paidOn);
    if (date === undefined) {
      date = p.paidOn;
      this.dates.set(date, date);
    }
    this.paidOn.push(date);
    this.paidAt.push(p.paidAt);
    this.payerNames.push(p.payerName);
    this.references.push(p.reference);
  }

  private grow(): void {
    const size = this.rows.length * 2;
    const widen = <T extends Int32Array | BigInt64Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old as never);
      return next;
    };
    this.rows = widen(this.rows, (n) => new Int32Array(n));
    this.accountIds = widen(this.accountIds, (n) => new BigInt64Array(n));
    this.amounts = widen(this.amounts, (n) => new BigInt64Array(n));
    this.channels = widen(this.channels, (n) => new Uint8Array(n));
    this.currencyIndex = widen(this.currencyIndex, (n) => new Uint8Array(n));
  }

  row(i: number): number {
    return this.rows[i] as number;
  }
  externalId(i: number): string {
    return this.externalIds[i] as string;
  }
  accountId(i: number): bigint {
    return this.accountIds[i] as bigint;
  }
  amount(i: number): bigint {
    return this.amounts[i] as bigint;
  }
  currency(i: number): string {
    return this.currencies[this.currencyIndex[i] as number] as string;
  }

  /**
   * The indices of the payments split into `streams` lists by account (each account's payments in
   * one list, in file order), so lists can be posted side by side without changing the order in
   * which any one account's payments are applied.
   */
  streams(streams: number): number[][] {
    const lists: number[][] = Array.from({ length: Math.max(1, streams) }, () => []);
    for (let i = 0; i < this.length; i++) {
      (lists[Number((this.accountIds[i] as bigint) % BigInt(lists.length))] as number[]).push(i);
    }
    return lists.filter((list) => list.length > 0);
  }

  /** The ledger's inputs for the payments at `indices`. */
  inputs(indices: readonly number[], clientId: bigint, source: string): PaymentInput[] {
    const out: PaymentInput[] = [];
    for (const i of indices) {
      const channel = channelNames[this.channels[i] as number] as Channel;
      const input: PaymentInput = {
        clientId,
        accountId: this.accountIds[i] as bigint,
        externalId: this.externalIds[i] as string,
        amountMinor: this.amounts[i] as bigint,
        currency: this.currency(i),
        paidOn: this.paidOn[i] as string,
        paidAt: this.paidAt[i] ?? null,
        channel,
        direct: channel === 'direct_to_client',
        source,
      };
      const payer = this.payerNames[i];
      if (payer !== undefined) input.payerName = payer;
      const reference = this.references[i];
      if (reference !== undefined) input.reference = reference;
      out.push(input);
    }
    return out;
  }

  /** externalId → index, for the reversal rows that name payments of the same file. */
  indexOf(externalIds: readonly string[]): Map<string, number> {
    const wanted = new Set(externalIds);
    const found = new Map<string, number>();
    if (wanted.size === 0) return found;
    for (let i = 0; i < this.length; i++) {
      const id = this.externalIds[i] as string;
      if (wanted.has(id)) found.set(id, i);
    }
    return found;
  }
}
