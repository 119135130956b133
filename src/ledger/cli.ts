import type { Command } from 'commander';
import { type CliContext, cliId, type RegisterCommands } from '../cli/context.ts';
import type { Db } from '../db/connection.ts';
import type { Component } from '../db/schema.ts';
import { parseBusinessDateOrThrow, todayIn } from '../shared/dates.ts';
import { HuikuanError } from '../shared/errors.ts';
import { formatMinor, parseAmount } from '../shared/money.ts';
import {
  accrue,
  agreeSettlement,
  approveProposal,
  discount,
  listProposals,
  type PostedOrProposed,
  proposeAdjustment,
  proposeRecall,
  proposeWriteOff,
  rejectProposal,
  remit,
  reverseEntry,
  transferCommission,
} from './events.ts';
import { type Components, components, zeroComponents } from './model.ts';
import { contractRowInForce } from './post.ts';
import { accountHistory, balances, checkLedger, findAccountByRef, type Violation } from './queries.ts';

interface Common {
  json?: boolean;
  user?: string;
}
interface ClientOpt extends Common {
  client: string;
}
interface AccountOpt extends ClientOpt {
  account: string;
  date?: string;
}

async function clientOf(db: Db, code: string): Promise<{ id: bigint; code: string }> {
  const row = await db
    .selectFrom('clients')
    .select(['id', 'code'])
    .where('code', '=', code)
    .executeTakeFirst();
  if (!row)
    throw new HuikuanError(
      'not_found',
      `No client with code "${code}". List clients with "huikuan client list".`,
    );
  return row;
}

async function accountOf(db: Db, options: AccountOpt) {
  const client = await clientOf(db, options.client);
  const account = await findAccountByRef(db, client.id, options.account);
  const row = await db
    .selectFrom('accounts')
    .select('currency')
    .where('id', '=', account.id)
    .executeTakeFirstOrThrow();
  return { client, accountId: account.id, currency: row.currency.trim() };
}

function amount(text: string | undefined, currency: string, option: string): bigint {
  if (text === undefined) throw new HuikuanError('bad_usage', `${option} is required.`);
  const parsed = parseAmount(text, currency);
  if (!parsed.ok) throw new HuikuanError('bad_input', `${option}: ${parsed.reason}`);
  return parsed.minor;
}

function optionalAmount(text: string | undefined, currency: string, option: string): bigint {
  return text === undefined ? 0n : amount(text, currency, option);
}

function dateOption(text: string | undefined, option: string): string | undefined {
  return text === undefined ? undefined : parseBusinessDateOrThrow(text, option);
}

function requireReason(reason: string | undefined): string {
  if (!reason?.trim()) throw new HuikuanError('bad_usage', '--reason is required.');
  return reason.trim();
}

function common(command: Command): Command {
  return command
    .option('--json', 'print the result as one JSON document')
    .option('--user <name>', 'the acting user (default HUIKUAN_USER or the OS user)');
}

function accountCommand(parent: Command, name: string, description: string): Command {
  return common(
    parent
      .command(name)
      .description(description)
      .requiredOption('--client <code>', 'the client')
      .requiredOption('--account <ref>', "the client's account reference")
      .option('--date <date>', 'effective (business) date, default today'),
  );
}

function outcomeJson(result: PostedOrProposed) {
  switch (result.status) {
    case 'posted':
      return { status: 'posted', entry_id: result.entryId };
    case 'proposed':
      return { status: 'proposed', proposal_id: result.proposalId };
    case 'agreed':
      return { status: 'agreed', settlement_id: result.settlementId };
  }
}

function outcomeText(result: PostedOrProposed, what: string): string {
  switch (result.status) {
    case 'posted':
      return `${what} posted (entry ${result.entryId ?? '—'}).`;
    case 'proposed':
      return `${what} is above the limit: proposal ${result.proposalId} awaits a second user (huikuan approval approve ${result.proposalId}).`;
    case 'agreed':
      return `${what} agreed (settlement ${result.settlementId}); the rest is waived once it is paid.`;
  }
}

function describeViolation(v: Violation): string {
  const where = [
    v.entry_id !== undefined ? `entry ${v.entry_id}` : null,
    v.account_id !== undefined ? `account ${v.account_id}` : null,
    v.ledger_account ?? null,
  ]
    .filter(Boolean)
    .join(', ');
  const values = v.expected !== undefined ? ` (expected ${v.expected}, actual ${v.actual})` : '';
  return `invariant ${v.invariant}: ${v.message}${where ? ` [${where}]` : ''}${values}`;
}

export const registerLedgerCommands: RegisterCommands = (program, context) => {
  const ledger = program
    .command('ledger')
    .description('the books: balances, history, proof, and ledger events');
  const withDb = <T>(work: (db: Db) => Promise<T>) => context.withDatabase((c) => work(c.db));

  common(
    ledger
      .command('balance')
      .description('balances by component for a client or one account')
      .requiredOption('--client <code>', 'the client')
      .option('--account <ref>', "one account (the client's reference)"),
  ).action(async (options: ClientOpt & { account?: string }) =>
    withDb(async (db) => {
      const client = await clientOf(db, options.client);
      const accountId =
        options.account === undefined
          ? undefined
          : (await findAccountByRef(db, client.id, options.account)).id;
      const report = await balances(db, {
        clientId: client.id,
        clientCode: client.code,
        ...(accountId !== undefined ? { accountId } : {}),
      });
      context.report(options, report, () => {
        const cur = report.currency ?? 'CNY';
        const f = (v: bigint) => formatMinor(v, cur).padStart(18);
        return [
          `${report.client}${options.account ? ` account ${options.account}` : ''}: ${report.accounts} account(s), ${cur}`,
          `  principal   ${f(report.principal_minor)}`,
          `  interest    ${f(report.interest_minor)}`,
          `  fees        ${f(report.fees_minor)}`,
          `  penalty     ${f(report.penalty_minor)}`,
          `  total       ${f(report.total_minor)}`,
          `  overpayment ${f(report.overpayment_minor)}`,
          `  collected   ${f(report.collected_minor)}`,
          `  direct paid ${f(report.direct_paid_minor)}`,
          `  discounts   ${f(report.discounts_minor)}`,
          `  commission  ${f(report.commission_minor)}`,
          `  payable     ${f(report.payable_minor)}`,
        ].join('\n');
      });
    }),
  );

  common(
    ledger.command('check').description("prove the ledger's six invariants (exit 1 naming each violation)"),
  ).action(async (options: Common) =>
    withDb(async (db) => {
      const violations = await checkLedger(db);
      if (violations.length > 0) context.setExitCode(1);
      context.report(options, { ok: violations.length === 0, violations }, () =>
        violations.length === 0
          ? 'The ledger holds: all six invariants proved.'
          : [
              `${violations.length} violation(s):`,
              ...violations.map((v) => `  ${describeViolation(v)}`),
            ].join('\n'),
      );
    }),
  );

  common(
    ledger
      .command('history')
      .description("an account's entries with their postings, newest first")
      .requiredOption('--client <code>', 'the client')
      .requiredOption('--account <ref>', "the client's account reference")
      .option('--limit <n>', 'entries per page (default 50)')
      .option('--before <entryId>', 'the page before this entry id'),
  ).action(async (options: AccountOpt & { limit?: string; before?: string }) =>
    withDb(async (db) => {
      const { client, accountId, currency } = await accountOf(db, options);
      const limit = options.limit === undefined ? undefined : Number(options.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
        throw new HuikuanError('bad_usage', '--limit must be a positive whole number.');
      }
      if (options.before !== undefined && !/^\d+$/.test(options.before)) {
        throw new HuikuanError('bad_usage', '--before must be an entry id.');
      }
      const history = await accountHistory(db, {
        accountId,
        ...(limit !== undefined ? { limit } : {}),
        ...(options.before !== undefined ? { beforeEntryId: BigInt(options.before) } : {}),
      });
      context.report(options, { client: client.code, account: options.account, currency, ...history }, () =>
        history.entries.length === 0
          ? 'No entries.'
          : history.entries
              .map((e) =>
                [
                  `#${e.entry_id} ${e.effective_date} ${e.kind}${e.external_id ? ` ${e.external_id}` : ''}${e.reverses_entry_id ? ` (reverses #${e.reverses_entry_id})` : ''}${e.reversed_by_entry_id ? ` (reversed by #${e.reversed_by_entry_id})` : ''}`,
                  ...e.postings.map(
                    (p) =>
                      `    ${p.ledger_account.padEnd(30)} ${formatMinor(p.amount_minor, currency).padStart(16)}`,
                  ),
                ].join('\n'),
              )
              .join('\n'),
      );
    }),
  );

  accountCommand(ledger, 'accrue', 'accrue interest and/or fees (where the contract allows)')
    .option('--interest <amount>', 'interest to add')
    .option('--fees <amount>', 'fees to add')
    .option('--reason <text>', 'why')
    .action(async (options: AccountOpt & { interest?: string; fees?: string; reason?: string }) =>
      withDb(async (db) => {
        const { client, accountId, currency } = await accountOf(db, options);
        const date = dateOption(options.date, '--date');
        const result = await accrue(db, {
          clientId: client.id,
          accountId,
          actor: context.actor(options),
          interestMinor: optionalAmount(options.interest, currency, '--interest'),
          feesMinor: optionalAmount(options.fees, currency, '--fees'),
          ...(date ? { effectiveDate: date } : {}),
          ...(options.reason ? { reason: options.reason } : {}),
        });
        context.report(
          options,
          { status: 'posted', entry_id: result.entryId },
          () => `Accrual posted (entry ${result.entryId}).`,
        );
      }),
    );

  accountCommand(ledger, 'discount', 'settlement discount / waiver (减免); above the limit it needs approval')
    .requiredOption('--amount <amount>', 'the amount to waive')
    .option('--component <name>', 'waive from this component only (default: in waterfall order)')
    .option('--reason <text>', 'why')
    .action(async (options: AccountOpt & { amount: string; component?: string; reason?: string }) =>
      withDb(async (db) => {
        const { client, accountId, currency } = await accountOf(db, options);
        const value = amount(options.amount, currency, '--amount');
        let split: Partial<Components> | undefined;
        if (options.component !== undefined) {
          if (!components.includes(options.component as Component)) {
            throw new HuikuanError('bad_usage', `--component must be one of ${components.join(', ')}.`);
          }
          split = { [options.component]: value };
        }
        const date = dateOption(options.date, '--date');
        const result = await discount(db, {
          clientId: client.id,
          accountId,
          actor: context.actor(options),
          amountMinor: value,
          reason: requireReason(options.reason),
          ...(split ? { components: split } : {}),
          ...(date ? { effectiveDate: date } : {}),
        });
        context.report(options, outcomeJson(result), () => outcomeText(result, 'Discount'));
      }),
    );

  accountCommand(ledger, 'settle', 'agree a settlement amount; the rest is waived once it is paid')
    .requiredOption('--amount <amount>', 'the agreed settlement amount')
    .option('--reason <text>', 'why')
    .action(async (options: AccountOpt & { amount: string; reason?: string }) =>
      withDb(async (db) => {
        const { client, accountId, currency } = await accountOf(db, options);
        const date = dateOption(options.date, '--date');
        const result = await agreeSettlement(db, {
          clientId: client.id,
          accountId,
          actor: context.actor(options),
          amountMinor: amount(options.amount, currency, '--amount'),
          ...(options.reason ? { reason: options.reason } : {}),
          ...(date ? { effectiveDate: date } : {}),
        });
        context.report(options, outcomeJson(result), () => outcomeText(result, 'Settlement'));
      }),
    );

  accountCommand(ledger, 'recall', 'propose a recall (退案); a second user approves it')
    .requiredOption('--reason <text>', 'why')
    .action(async (options: AccountOpt & { reason: string }) =>
      withDb(async (db) => {
        const { client, accountId } = await accountOf(db, options);
        const date = dateOption(options.date, '--date');
        const proposalId = await proposeRecall(db, {
          clientId: client.id,
          accountId,
          actor: context.actor(options),
          reason: requireReason(options.reason),
          ...(date ? { effectiveDate: date } : {}),
        });
        context.report(options, { status: 'proposed', proposal_id: proposalId }, () =>
          outcomeText({ status: 'proposed', proposalId }, 'Recall'),
        );
      }),
    );

  accountCommand(ledger, 'write-off', 'propose a write-off (核销); a second user approves it')
    .requiredOption(
      '--reason <reason>',
      'bankruptcy, deceased, statute_barred, uncollectable or client_instruction',
    )
    .option('--note <text>', 'a note')
    .action(async (options: AccountOpt & { reason: string; note?: string }) =>
      withDb(async (db) => {
        const { client, accountId } = await accountOf(db, options);
        const date = dateOption(options.date, '--date');
        const proposalId = await proposeWriteOff(db, {
          clientId: client.id,
          accountId,
          actor: context.actor(options),
          reason: options.reason.trim().replace(/-/g, '_'),
          ...(options.note ? { note: options.note } : {}),
          ...(date ? { effectiveDate: date } : {}),
        });
        context.report(options, { status: 'proposed', proposal_id: proposalId }, () =>
          outcomeText({ status: 'proposed', proposalId }, 'Write-off'),
        );
      }),
    );

  accountCommand(
    ledger,
    'adjust',
    'propose a client adjustment (a reduction by component); a second user approves it',
  )
    .option('--principal <amount>', 'reduce principal by')
    .option('--interest <amount>', 'reduce interest by')
    .option('--fees <amount>', 'reduce fees by')
    .option('--penalty <amount>', 'reduce penalty by')
    .requiredOption('--reason <text>', 'why')
    .action(
      async (
        options: AccountOpt & {
          principal?: string;
          interest?: string;
          fees?: string;
          penalty?: string;
          reason: string;
        },
      ) =>
        withDb(async (db) => {
          const { client, accountId, currency } = await accountOf(db, options);
          const amounts = zeroComponents();
          for (const c of components) amounts[c] = optionalAmount(options[c], currency, `--${c}`);
          const date = dateOption(options.date, '--date');
          const proposalId = await proposeAdjustment(db, {
            clientId: client.id,
            accountId,
            actor: context.actor(options),
            amounts,
            reason: requireReason(options.reason),
            ...(date ? { effectiveDate: date } : {}),
          });
          context.report(options, { status: 'proposed', proposal_id: proposalId }, () =>
            outcomeText({ status: 'proposed', proposalId }, 'Adjustment'),
          );
        }),
    );

  common(
    ledger
      .command('remit')
      .description(
        'remit to the client what it is owed (netting commission receivable where the contract allows)',
      )
      .requiredOption('--client <code>', 'the client')
      .option('--through <date>', 'entries effective on or before this date (default today)')
      .option('--external-id <id>', 'the bank transfer id'),
  ).action(async (options: ClientOpt & { through?: string; externalId?: string }) =>
    withDb(async (db) => {
      const client = await clientOf(db, options.client);
      const through = dateOption(options.through, '--through') ?? todayIn();
      const result = await remit(db, {
        clientId: client.id,
        through,
        actor: context.actor(options),
        ...(options.externalId ? { externalId: options.externalId } : {}),
      });
      const cur = result.currency ?? 'CNY';
      context.report(
        options,
        {
          client: client.code,
          through,
          currency: cur,
          entry_id: result.entryId,
          net_minor: result.netMinor,
          netted_minor: result.nettedMinor,
        },
        () =>
          result.entryId === null
            ? 'Nothing to remit.'
            : `Remitted ${formatMinor(result.netMinor, cur)} ${cur} (netted ${formatMinor(result.nettedMinor, cur)}), entry ${result.entryId}.`,
      );
    }),
  );

  common(
    ledger
      .command('transfer-commission')
      .description('move the commission earned and held in trust to the agency’s own account')
      .requiredOption('--client <code>', 'the client')
      .option('--through <date>', 'entries effective on or before this date (default today)'),
  ).action(async (options: ClientOpt & { through?: string }) =>
    withDb(async (db) => {
      const client = await clientOf(db, options.client);
      const through = dateOption(options.through, '--through') ?? todayIn();
      const contract = await contractRowInForce(db, client.id, through);
      const result = await transferCommission(db, {
        clientId: client.id,
        through,
        actor: context.actor(options),
      });
      context.report(
        options,
        {
          client: client.code,
          through,
          currency: contract.currency,
          entry_id: result.entryId,
          amount_minor: result.amountMinor,
        },
        () =>
          result.entryId === null
            ? 'No commission held in trust.'
            : `Moved ${formatMinor(result.amountMinor, contract.currency)} ${contract.currency} of commission out of trust, entry ${result.entryId}.`,
      );
    }),
  );

  common(
    ledger
      .command('reverse')
      .description('reverse an entry (returned payment, chargeback, mistake): its exact negation')
      .requiredOption('--client <code>', 'the client')
      .option('--external-id <id>', "the entry's external id")
      .option('--entry <id>', 'the entry id')
      .requiredOption('--reason <text>', 'why')
      .option('--reversal-external-id <id>', "the reversal's own external id (e.g. the return's bank id)")
      .option('--date <date>', 'effective date, default today'),
  ).action(
    async (
      options: ClientOpt & {
        externalId?: string;
        entry?: string;
        reason: string;
        reversalExternalId?: string;
        date?: string;
      },
    ) =>
      withDb(async (db) => {
        const client = await clientOf(db, options.client);
        if (options.entry !== undefined && !/^\d+$/.test(options.entry)) {
          throw new HuikuanError('bad_usage', '--entry must be an entry id.');
        }
        const date = dateOption(options.date, '--date');
        const result = await reverseEntry(db, {
          clientId: client.id,
          reason: requireReason(options.reason),
          actor: context.actor(options),
          ...(options.externalId !== undefined ? { externalId: options.externalId } : {}),
          ...(options.entry !== undefined ? { entryId: BigInt(options.entry) } : {}),
          ...(options.reversalExternalId ? { reversalExternalId: options.reversalExternalId } : {}),
          ...(date ? { effectiveDate: date } : {}),
        });
        context.report(
          options,
          {
            status: result.status,
            entry_id: result.entryId,
            reversed_entry_id: result.reversedEntryId,
            account_status: result.accountStatus ?? null,
          },
          () =>
            result.status === 'duplicate'
              ? `Entry ${result.reversedEntryId} was already reversed (entry ${result.entryId}); nothing posted.`
              : `Entry ${result.reversedEntryId} reversed by entry ${result.entryId}.`,
        );
      }),
  );

  registerApprovalCommands(program, context);
};

function registerApprovalCommands(program: Command, context: CliContext): void {
  const approval = program
    .command('approval')
    .description('maker-checker: proposed discounts, settlements, write-offs, recalls and adjustments');
  common(
    approval
      .command('list')
      .description('proposals (default: pending)')
      .option('--status <status>', 'pending, approved, rejected or all')
      .option('--client <code>', 'one client'),
  ).action(async (options: Common & { status?: string; client?: string }) =>
    context.withDatabase(async ({ db }) => {
      const status = options.status ?? 'pending';
      if (!['pending', 'approved', 'rejected', 'all'].includes(status)) {
        throw new HuikuanError('bad_usage', '--status must be pending, approved, rejected or all.');
      }
      const clientId = options.client === undefined ? undefined : (await clientOf(db, options.client)).id;
      const proposals = await listProposals(db, {
        status: status as 'pending',
        ...(clientId !== undefined ? { clientId } : {}),
      });
      context.report(options, { proposals }, () =>
        proposals.length === 0
          ? 'No proposals.'
          : proposals
              .map(
                (p) =>
                  `${p.id}  ${p.status.padEnd(8)} ${p.kind.padEnd(10)} ${p.client_code} ${p.account_ref ?? ''}  by ${p.proposed_by}${p.reason ? ` — ${p.reason}` : ''}`,
              )
              .join('\n'),
      );
    }),
  );
  common(
    approval
      .command('approve <id>')
      .description('approve (a user other than the proposer)')
      .option('--reason <text>', 'note'),
  ).action(async (id: string, options: Common & { reason?: string }) =>
    context.withDatabase(async ({ db }) => {
      const result = await approveProposal(db, {
        proposalId: cliId(id, 'The proposal id'),
        actor: context.actor(options),
        ...(options.reason ? { reason: options.reason } : {}),
      });
      context.report(
        options,
        {
          status: 'approved',
          proposal_id: result.proposalId,
          kind: result.kind,
          entry_id: result.entryId,
          settlement_id: result.settlementId ?? null,
        },
        () =>
          `Proposal ${result.proposalId} (${result.kind}) approved${result.entryId ? `; entry ${result.entryId} posted` : ''}.`,
      );
    }),
  );
  common(
    approval
      .command('reject <id>')
      .description('reject (a user other than the proposer)')
      .requiredOption('--reason <text>', 'why'),
  ).action(async (id: string, options: Common & { reason: string }) =>
    context.withDatabase(async ({ db }) => {
      const result = await rejectProposal(db, {
        proposalId: cliId(id, 'The proposal id'),
        actor: context.actor(options),
        reason: options.reason,
      });
      context.report(
        options,
        { status: 'rejected', proposal_id: result.proposalId },
        () => `Proposal ${result.proposalId} rejected.`,
      );
    }),
  );
}
