import type { Command } from 'commander';
import type { RegisterCommands } from '../cli/context.ts';
import { parseBusinessDateOrThrow } from '../shared/dates.ts';
import {
  type Contract,
  type ContractTerms,
  formatCommissionSchedule,
  parseBasisPoints,
  parseCommissionSchedule,
  parseOnOff,
  parseWaterfall,
  validateCurrency,
  validateJurisdiction,
} from './model.ts';
import { addClient, addContractVersion, contractHistory, findClientByCode, listClients } from './service.ts';

interface ContractOptions {
  currency?: string;
  jurisdiction?: string;
  commission?: string;
  waterfall?: string;
  netting?: string;
  discountLimit?: string;
  accrual?: string;
  ends?: string;
  effective?: string;
}

function withContractOptions(command: Command, includeCurrency: boolean): Command {
  if (includeCurrency)
    command.option('--currency <code>', 'ISO 4217 currency of the client’s accounts (default CNY)');
  return command
    .option('--jurisdiction <code>', 'compliance profile: CN, US or UK (default CN)')
    .option(
      '--commission <bands>',
      'commission by days past due on the payment date, in basis points, e.g. 0-90:1500,91-180:2500,181-:3500 (default 0-:2000)',
    )
    .option('--waterfall <order>', 'payment allocation order (default penalty,fees,interest,principal)')
    .option('--netting <on|off>', 'net commission owed on direct payments against remittances (default on)')
    .option(
      '--discount-limit <bp>',
      'largest settlement discount without approval, basis points of the balance (default 0)',
    )
    .option('--accrual <on|off>', 'whether interest and fees may accrue on placed accounts (default on)')
    .option(
      '--ends <date|none>',
      "the contract's last day (default open-ended, or as the latest version); after it the client's recalled or closed accounts' personal data is anonymised 30 days on (huikuan retention --help); none: open-ended again",
    )
    .option('--effective <date>', 'the date these terms take effect (default today)');
}

function termsFrom(options: ContractOptions): Partial<ContractTerms> {
  const terms: Partial<ContractTerms> = {};
  if (options.currency !== undefined) terms.currency = validateCurrency(options.currency);
  if (options.jurisdiction !== undefined) terms.jurisdiction = validateJurisdiction(options.jurisdiction);
  if (options.commission !== undefined) terms.commission = parseCommissionSchedule(options.commission);
  if (options.waterfall !== undefined) terms.waterfall = parseWaterfall(options.waterfall);
  if (options.netting !== undefined) terms.netting = parseOnOff(options.netting, '--netting');
  if (options.discountLimit !== undefined)
    terms.discountLimitBp = parseBasisPoints(options.discountLimit, '--discount-limit');
  if (options.accrual !== undefined) terms.accrualAllowed = parseOnOff(options.accrual, '--accrual');
  if (options.ends !== undefined)
    terms.endsOn =
      options.ends.trim().toLowerCase() === 'none' ? null : parseBusinessDateOrThrow(options.ends, '--ends');
  return terms;
}

export function contractJson(contract: Contract) {
  return {
    version: contract.version,
    effective_from: contract.effectiveFrom,
    currency: contract.currency,
    jurisdiction: contract.jurisdiction,
    waterfall: contract.waterfall,
    commission: contract.commission.map((b) => ({ from_dpd: b.fromDpd, to_dpd: b.toDpd, rate_bp: b.rateBp })),
    netting: contract.netting,
    discount_limit_bp: contract.discountLimitBp,
    accrual_allowed: contract.accrualAllowed,
    ends_on: contract.endsOn,
  };
}

function describeContract(contract: Contract): string {
  return [
    `  version ${contract.version}, effective ${contract.effectiveFrom}`,
    `  currency ${contract.currency}, jurisdiction ${contract.jurisdiction}`,
    `  commission ${formatCommissionSchedule(contract.commission)} (days past due:basis points)`,
    `  waterfall ${contract.waterfall.join(' → ')}`,
    `  netting ${contract.netting ? 'on' : 'off'}, discount limit ${contract.discountLimitBp} bp, accrual ${contract.accrualAllowed ? 'on' : 'off'}`,
    `  ends ${contract.endsOn ?? 'open-ended'}`,
  ].join('\n');
}

export const registerClientCommands: RegisterCommands = (program, context) => {
  const client = program.command('client').description('clients (委托方) and their versioned contracts');

  withContractOptions(
    client
      .command('add')
      .description('add a client with its first contract')
      .requiredOption('--code <code>', 'short unique code, e.g. ICBC-CC')
      .requiredOption('--name <name>', 'the client’s name'),
    true,
  )
    .option('--user <user>', 'acting user')
    .option('--json', 'print the result as JSON')
    .action(
      async (options: ContractOptions & { code: string; name: string; user?: string; json?: boolean }) => {
        const terms = termsFrom(options);
        const effectiveFrom = options.effective
          ? parseBusinessDateOrThrow(options.effective, '--effective')
          : undefined;
        const actor = context.actor(options);
        await context.withDatabase(async ({ db }) => {
          const result = await addClient(
            db,
            { code: options.code, name: options.name, terms, effectiveFrom },
            actor,
          );
          context.report(
            options,
            { client: result.client.code, name: result.client.name, contract: contractJson(result.contract) },
            () =>
              `Client ${result.client.code} (${result.client.name}) added.\n${describeContract(result.contract)}`,
          );
        });
      },
    );

  withContractOptions(
    client
      .command('contract')
      .argument('<code>', 'client code')
      .description(
        'add a new contract version (unspecified terms carry over); past payments keep their terms',
      ),
    false,
  )
    .option('--user <user>', 'acting user')
    .option('--json', 'print the result as JSON')
    .action(async (code: string, options: ContractOptions & { user?: string; json?: boolean }) => {
      const terms = termsFrom(options);
      const effectiveFrom = options.effective
        ? parseBusinessDateOrThrow(options.effective, '--effective')
        : undefined;
      const actor = context.actor(options);
      await context.withDatabase(async ({ db }) => {
        const contract = await addContractVersion(db, code, terms, effectiveFrom, actor);
        context.report(
          options,
          { client: code, contract: contractJson(contract) },
          () => `Client ${code}: new contract version.\n${describeContract(contract)}`,
        );
      });
    });

  client
    .command('list')
    .description('list clients with the contract in force today')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        const clients = await listClients(db);
        context.report(
          options,
          {
            clients: clients.map((c) => ({ code: c.code, name: c.name, contract: contractJson(c.contract) })),
          },
          () =>
            clients.length === 0
              ? 'No clients yet. Add one with "huikuan client add --code C --name N".'
              : clients
                  .map((c) => `${c.code}\t${c.name}\t${c.contract.currency}\tv${c.contract.version}`)
                  .join('\n'),
        );
      });
    });

  client
    .command('show')
    .argument('<code>', 'client code')
    .description('a client with every version of its contract')
    .option('--json', 'print the result as JSON')
    .action(async (code: string, options: { json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        const found = await findClientByCode(db, code);
        const history = await contractHistory(db, found.id);
        context.report(
          options,
          {
            client: found.code,
            name: found.name,
            created_by: found.createdBy,
            contracts: history.map(contractJson),
          },
          () => [`${found.code} — ${found.name}`, ...history.map(describeContract)].join('\n'),
        );
      });
    });
};
