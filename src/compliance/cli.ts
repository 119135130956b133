import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { type CliContext, cliId, type RegisterCommands } from '../cli/context.ts';
import { findClientByCode } from '../clients/service.ts';
import type { Db } from '../db/connection.ts';
import { HuikuanError } from '../shared/errors.ts';
import { addHold, type HoldView, holdJson, liftHold, listHolds, type Target } from './holds.ts';
import { holdSources, storedHoldKinds } from './holds-model.ts';
import { parseAttemptText } from './input.ts';
import { evaluate, holdCodes, outcomes, reasonCodes } from './model.ts';
import {
  defaultProfiles,
  formatClock,
  type OverrideDocument,
  type Profile,
  parseJurisdiction,
} from './profiles.ts';
import { decideProfileChange, effectiveProfile, type ProfileScope, proposeProfileChange } from './service.ts';

const maxFileBytes = 400 * 1024 * 1024;

/** `items` joined by ", " in lines of at most 96 characters, each after `indent`. */
function wrap(items: readonly string[], indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const next = line === '' ? item : `${line}, ${item}`;
    if (next.length > 96 - indent.length && line !== '') {
      lines.push(`${line},`);
      line = item;
    } else line = next;
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

const cn = defaultProfiles.CN.rules;
const checkHelp = `
The attempt file is JSON (compliance.md): {"attempts": [{"id", "at", "channel", "party",
"timezone", "number", "robot", "lost_contact", "consent_quiet_hours", "holds", "history"}]}.
  id        a non-empty string, echoed in the verdict
  at        the proposed instant with its zone, e.g. "2026-03-02T13:59:00Z"
  channel   call | sms | email | letter | visit
  party     debtor | guarantor | agreed_contact | third_party
  timezone  IANA zone of the person (optional: else from the number's country code, +86 China,
            +44 UK, +1 every US zone; else every zone of the jurisdiction, the strictest winning)
  holds     any of ${wrap(holdCodes, '            ')}
  history   earlier contacts about the same debt with the same person, in any order:
            {"at", "channel", "party" (default the attempt's), "number", "robot", "outcome"},
            outcome one of ${wrap(outcomes, '            ')}
Fields not listed are refused (a misspelt "holds" must not pass as no holds). The whole file is
checked first; any problem → exit 2 and nothing is evaluated.

Counting, in calendar days of the person's zone (consent_quiet_hours lifts the hours everywhere):
  CN  no contact outside ${formatClock(cn.contactHours.earliest)}–${formatClock(cn.contactHours.latest)} local, any channel;
      a call is refused once ${cn.unansweredCallsPerNumberPerDay} unanswered attempts (no_answer, busy, connected_no_answer) went
      to the same number that day (an unknown number counts), a robot call once ${cn.robotCallsPerDay} connected
      robot calls reached the person that day; agreed contacts and third parties only when
      lost_contact, with conditions.
  US  no contact before 08:00 or after 21:00:00 local, any channel; a call is refused once 7 calls
      were placed in the 7 days ending on the proposed day (busy and not_in_service not counted),
      or after a conversation on day D, for days D to D+6; a third party once, location only.
  UK  08:00–21:00:00 local; at most 3 calls a day and 10 in 7 days (counted as in the US);
      third parties without the debt's details.
Holds refuse every channel, except: opt_out_* only its own; after a cease a letter is allowed
with the condition cease_notices_only.

Output with --json: {"verdicts": [{"id", "verdict": "allow" | "deny" | "allow_with_conditions",
"reasons": [codes]}]} in the input's order; reasons are the deny codes of a denial, else the
conditions, in this order:
  ${wrap(reasonCodes, '  ')}
(sms_consent_required and email_consent_unconfirmed come only from the database-backed gate, which
reads the debtor's channel consent and texts — US safe harbour, README "Compliance"; an attempt
file carries no consent, so this command never gives them.)
Uses the profile's default values (version ${defaultProfiles.CN.version}). Exit 0 whatever the verdicts; 2 on bad usage, a bad
file or bad input.`;

export const registerComplianceCommands: RegisterCommands = (program, context) => {
  const compliance = program
    .command('compliance')
    .description('the compliance rule gate (合规): verdicts on proposed contacts');

  compliance
    .command('check')
    .description('print the gate’s verdict on each proposed contact in an attempt file (no database needed)')
    .requiredOption('--jurisdiction <code>', 'the rule profile: CN, US or UK')
    .requiredOption('--attempt <file>', 'the JSON attempt file (format below)')
    .option('--json', 'print {"verdicts": [...]} as JSON')
    .addHelpText('after', checkHelp)
    .action(async (options: { jurisdiction: string; attempt: string; json?: boolean }) => {
      const profile = defaultProfiles[parseJurisdiction(options.jurisdiction)];
      const text = await readAttemptFile(options.attempt);
      const attempts = parseAttemptText(text, options.attempt);
      const verdicts = attempts.map((attempt) => {
        const verdict = evaluate(attempt, profile);
        return { id: attempt.id, verdict: verdict.verdict, reasons: verdict.reasons };
      });
      context.report(options, { verdicts }, () =>
        verdicts.length === 0
          ? `No attempts in ${options.attempt}.`
          : [
              `Profile ${profile.code} v${profile.version}:`,
              ...verdicts.map(
                (v) => `  ${v.id}  ${v.verdict}${v.reasons.length > 0 ? `  (${v.reasons.join(', ')})` : ''}`,
              ),
            ].join('\n'),
      );
    });

  registerProfileCommands(compliance, context);
  registerHoldCommands(compliance, context);
};

/** A profile as people read it: clock times written out. */
export function profileJson(profile: Profile) {
  const { contactHours, ...rules } = profile.rules;
  return {
    jurisdiction: profile.code,
    version: profile.version,
    overrides: profile.overrides,
    rules: {
      contactHours: {
        earliest: formatClock(contactHours.earliest),
        latest: formatClock(contactHours.latest),
      },
      ...rules,
    },
  };
}

interface TargetOptions {
  jurisdiction: string;
  client?: string;
  account?: string;
}

async function target(db: Db, options: TargetOptions) {
  if (options.client !== undefined && options.account !== undefined) {
    throw new HuikuanError(
      'bad_usage',
      'Give --client or --account, not both (an account belongs to its client).',
    );
  }
  const jurisdiction = parseJurisdiction(options.jurisdiction);
  const clientId = options.client === undefined ? null : (await findClientByCode(db, options.client)).id;
  const accountId = options.account === undefined ? null : cliId(options.account, '--account');
  const scope: ProfileScope = accountId !== null ? 'account' : clientId !== null ? 'client' : 'base';
  return { jurisdiction, clientId, accountId, scope };
}

function registerProfileCommands(compliance: Command, context: CliContext): void {
  const profile = compliance
    .command('profile')
    .description('rule profiles: the one in force, and changes proposed by one user and approved by another');

  profile
    .command('show')
    .description('the profile in force: the base version, then the client’s and the account’s overrides')
    .requiredOption('--jurisdiction <code>', 'CN, US or UK')
    .option('--client <code>', 'with this client’s override')
    .option('--account <id>', 'with this account’s override (and its client’s)')
    .option('--json', 'print the profile as JSON')
    .action(async (options: TargetOptions & { json?: boolean }) => {
      await context.withDatabase(async ({ db }) => {
        const t = await target(db, options);
        let clientId = t.clientId;
        if (t.accountId !== null) {
          const account = await db
            .selectFrom('accounts')
            .select('client_id')
            .where('id', '=', t.accountId)
            .executeTakeFirst();
          if (!account) throw new HuikuanError('not_found', `Account ${t.accountId} does not exist.`);
          clientId = account.client_id;
        }
        const shown = profileJson(await effectiveProfile(db, t.jurisdiction, clientId, t.accountId));
        context.report(options, shown, () =>
          [
            `Profile ${shown.jurisdiction} v${shown.version}${shown.overrides.length > 0 ? ` tightened by ${shown.overrides.join(', ')}` : ''}:`,
            ...Object.entries(shown.rules).map(([rule, value]) => `  ${rule}: ${JSON.stringify(value)}`),
          ].join('\n'),
        );
      });
    });

  profile
    .command('propose')
    .description('propose a new base version (no --client/--account) or an override, which may only tighten')
    .requiredOption('--jurisdiction <code>', 'CN, US or UK')
    .option('--client <code>', 'an override for this client')
    .option('--account <id>', 'an override for this account')
    .requiredOption(
      '--changes <json>',
      'the rules changed, e.g. \'{"callsPerDay": 2, "contactHours": {"latest": "20:00"}}\'',
    )
    .requiredOption('--reason <text>', 'why')
    .option('--user <name>', 'the proposing user')
    .option('--json', 'print {id} as JSON')
    .action(
      async (options: TargetOptions & { changes: string; reason: string; user?: string; json?: boolean }) => {
        const actor = context.actor(options);
        let changes: OverrideDocument;
        try {
          changes = JSON.parse(options.changes) as OverrideDocument;
        } catch (error) {
          throw new HuikuanError('bad_usage', `--changes is not JSON (${(error as Error).message}).`);
        }
        await context.withDatabase(async ({ db }) => {
          const t = await target(db, options);
          const id = await proposeProfileChange(db, { ...t, changes, reason: options.reason }, actor);
          context.report(
            options,
            { id, status: 'pending', scope: t.scope },
            () =>
              `Profile change ${id} proposed by ${actor}. Another user decides it with: huikuan compliance profile approve ${id} --user NAME`,
          );
        });
      },
    );

  for (const decision of ['approve', 'reject'] as const) {
    profile
      .command(decision)
      .description(
        decision === 'approve'
          ? 'approve a proposed profile change (not its proposer)'
          : 'reject a proposed profile change',
      )
      .argument('<id>', 'the change’s id')
      .option('--reason <text>', 'why')
      .option('--user <name>', 'the deciding user')
      .option('--json', 'print the decision as JSON')
      .action(async (id: string, options: { reason?: string; user?: string; json?: boolean }) => {
        const actor = context.actor(options);
        const changeId = cliId(id, 'The change id');
        await context.withDatabase(async ({ db }) => {
          const result = await decideProfileChange(db, changeId, decision, actor, options.reason ?? null);
          const json = {
            id: result.id,
            status: result.status,
            version: result.version,
            profile: result.profile ? profileJson(result.profile) : null,
          };
          context.report(options, json, () =>
            result.status === 'approved'
              ? `Profile change ${id} approved by ${actor}: version ${result.version}.`
              : `Profile change ${id} rejected by ${actor}.`,
          );
        });
      });
  }
}

interface HoldTargetOptions {
  account?: string;
  debtor?: string;
}

function holdTarget(options: HoldTargetOptions): Target {
  if ((options.account === undefined) === (options.debtor === undefined)) {
    throw new HuikuanError(
      'bad_usage',
      'Give --account (that account) or --debtor (every account of the debtor), one of them.',
    );
  }
  return options.account !== undefined
    ? { accountId: cliId(options.account, '--account') }
    : { debtorId: cliId(options.debtor as string, '--debtor') };
}

function holdLine(hold: HoldView): string {
  const on = hold.accountId === null ? `debtor ${hold.debtorId}` : `account ${hold.accountId}`;
  const point = hold.contactPointId === null ? '' : ` point ${hold.contactPointId}`;
  const until = hold.endsAt === null ? '' : ` until ${hold.endsAt.toISOString()}`;
  const lifted = hold.liftedAt === null ? '' : ` — lifted by ${hold.liftedBy}: ${hold.liftReason}`;
  return `  ${hold.id}  ${hold.kind}  ${hold.status}  ${on}${point}  from ${hold.startsAt.toISOString()}${until}  (${hold.source}, ${hold.recordedBy})${lifted}`;
}

function registerHoldCommands(compliance: Command, context: CliContext): void {
  const hold = compliance
    .command('hold')
    .description(
      'holds the gate enforces (dispute, cease, opt-outs …): add, lift, list; lifted ones stay in the history',
    );

  hold
    .command('add')
    .description('record a hold on an account, or on a debtor (every account)')
    .option('--account <id>', 'the account')
    .option('--debtor <id>', 'the debtor (every account)')
    .requiredOption('--kind <kind>', storedHoldKinds.join(' | '))
    .requiredOption('--source <source>', `how it was learnt: ${holdSources.join(' | ')}`)
    .option('--contact-point <id>', 'opt-outs and do_not_contact: this contact point alone')
    .option(
      '--starts <when>',
      "when it takes effect: a date (in the debtor's zone) or an instant; default now",
    )
    .option(
      '--ends <when>',
      'when it stops applying: a date (the last day in force) or an instant; a breathing space ends after 60 days unless given',
    )
    .option('--note <text>', 'what was said or received')
    .option('--attorney-name <name>', 'attorney: who represents the debtor')
    .option('--attorney-contact <contact>', 'attorney: how to reach them')
    .option('--user <name>', 'who records it')
    .option('--json', 'print the hold as JSON')
    .action(
      async (
        options: HoldTargetOptions & {
          kind: string;
          source: string;
          contactPoint?: string;
          starts?: string;
          ends?: string;
          note?: string;
          attorneyName?: string;
          attorneyContact?: string;
          user?: string;
          json?: boolean;
        },
      ) => {
        const actor = context.actor(options);
        const target = holdTarget(options);
        await context.withDatabase(async ({ db }) => {
          const { hold: added, created } = await addHold(
            db,
            {
              ...target,
              kind: options.kind,
              source: options.source,
              contactPointId:
                options.contactPoint === undefined ? null : cliId(options.contactPoint, '--contact-point'),
              startsAt: options.starts,
              endsAt: options.ends,
              note: options.note ?? null,
              attorneyName: options.attorneyName ?? null,
              attorneyContact: options.attorneyContact ?? null,
            },
            actor,
          );
          context.report(options, { ...holdJson(added), created }, () =>
            created
              ? `Hold ${added.id} (${added.kind}) recorded by ${actor}:\n${holdLine(added)}`
              : `An opt-out already covers it: hold ${added.id}; nothing added.`,
          );
        });
      },
    );

  hold
    .command('lift')
    .description(
      'lift a hold, saying why (a written US dispute in its validation period waits for the verification)',
    )
    .argument('<id>', 'the hold')
    .requiredOption('--reason <text>', 'why it is lifted')
    .option('--user <name>', 'who lifts it')
    .option('--json', 'print the hold as JSON')
    .action(async (id: string, options: { reason: string; user?: string; json?: boolean }) => {
      const actor = context.actor(options);
      const holdId = cliId(id, 'The hold id');
      await context.withDatabase(async ({ db }) => {
        const lifted = await liftHold(db, holdId, options.reason, actor);
        context.report(options, holdJson(lifted), () => `Hold ${holdId} lifted by ${actor}.`);
      });
    });

  hold
    .command('list')
    .description("an account's holds (its own and its debtor's) or a debtor's, newest first")
    .option('--account <id>', 'the account')
    .option('--debtor <id>', 'the debtor')
    .option('--current', 'only holds in force or scheduled')
    .option('--json', 'print {"holds": [...]} as JSON')
    .action(async (options: HoldTargetOptions & { current?: boolean; json?: boolean }) => {
      const target = holdTarget(options);
      await context.withDatabase(async ({ db }) => {
        const holds = await listHolds(db, target, { current: options.current ?? false });
        context.report(options, { holds: holds.map(holdJson) }, () =>
          holds.length === 0 ? 'No holds.' : [`${holds.length} hold(s):`, ...holds.map(holdLine)].join('\n'),
        );
      });
    });
}

async function readAttemptFile(file: string): Promise<string> {
  let size: number;
  try {
    const stats = await stat(file);
    if (!stats.isFile()) throw new Error('not a regular file');
    size = stats.size;
  } catch (error) {
    throw new HuikuanError(
      'bad_file',
      `Cannot read ${file}: ${(error as Error).message}. Check the path and that the file is readable.`,
    );
  }
  if (size > maxFileBytes) {
    throw new HuikuanError(
      'bad_file',
      `${file} is ${Math.round(size / 1024 / 1024)} MB, over the limit of ${maxFileBytes / 1024 / 1024} MB. Split the attempts over several files.`,
    );
  }
  return readFile(file, 'utf8');
}
