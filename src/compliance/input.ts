/**
 * The attempt document of `huikuan compliance check` (compliance.md's last section): parsed and
 * validated whole before any verdict, every problem reported with its JSON path. Pure.
 */
import { HuikuanError } from '../shared/errors.ts';
import { type Attempt, type HistoryEntry, type Hold, holdCodes, type Outcome, outcomes } from './model.ts';
import { type Channel, channels, type Party, parties } from './profiles.ts';
import { isKnownZone } from './zone.ts';

export interface ParsedAttempt extends Attempt {
  id: string;
}

export interface InputProblem {
  /** Where, as a JSON path: `attempts[2].history[0].outcome`. */
  path: string;
  /** The attempt's id when it has one. */
  id?: string;
  reason: string;
}

const attemptFields = new Set([
  'id',
  'at',
  'channel',
  'party',
  'timezone',
  'number',
  'robot',
  'lost_contact',
  'consent_quiet_hours',
  'holds',
  'history',
]);
const historyFields = new Set(['at', 'channel', 'party', 'number', 'robot', 'outcome']);
const maxProblems = 100;

const instantPattern =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** An ISO 8601 instant with its zone ("2026-03-02T13:59:00Z", "…+08:00") → UTC ms, or null. */
export function parseInstant(text: string): number | null {
  const match = instantPattern.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = match
    .slice(1)
    .map((part) => Number(part ?? 0)) as number[];
  if (month === undefined || day === undefined || year === undefined) return null;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > lastDay) return null;
  if ((hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59) return null;
  if ((offsetHour ?? 0) > 23 || (offsetMinute ?? 0) > 59) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** A phone number as compared: spaces, dashes, dots and brackets removed. */
export function normaliseNumber(text: string): string {
  return text.replace(/[\s\-.()]/g, '');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return typeof value === 'object' ? 'an object' : String(value);
}

class Problems {
  readonly list: InputProblem[] = [];
  total = 0;
  add(path: string, id: string | undefined, reason: string): void {
    this.total++;
    if (this.list.length < maxProblems)
      this.list.push(id === undefined ? { path, reason } : { path, id, reason });
  }
}

function oneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  path: string,
  id: string | undefined,
  problems: Problems,
): T | undefined {
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    problems.add(path, id, `${describe(value)} is not one of ${allowed.join(', ')}`);
  }
  return found;
}

function flag(
  record: Record<string, unknown>,
  key: string,
  path: string,
  id: string | undefined,
  problems: Problems,
): boolean {
  const value = record[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') {
    problems.add(`${path}.${key}`, id, `must be true or false, not ${describe(value)}`);
    return false;
  }
  return value;
}

function optionalText(
  record: Record<string, unknown>,
  key: string,
  path: string,
  id: string | undefined,
  problems: Problems,
): string | null {
  const value = record[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.trim() === '') {
    problems.add(`${path}.${key}`, id, `must be a non-empty string or left out, not ${describe(value)}`);
    return null;
  }
  return value.trim();
}

function instant(
  record: Record<string, unknown>,
  path: string,
  id: string | undefined,
  problems: Problems,
): number {
  const value = record.at;
  const ms = typeof value === 'string' ? parseInstant(value) : null;
  if (ms === null) {
    problems.add(
      `${path}.at`,
      id,
      value === undefined
        ? 'is required: the instant, e.g. "2026-03-02T13:59:00Z"'
        : `${describe(value)} is not an instant with its zone; write e.g. "2026-03-02T13:59:00Z" or "2026-03-02T21:59:00+08:00"`,
    );
    return 0;
  }
  return ms;
}

function unknownFields(
  record: Record<string, unknown>,
  known: Set<string>,
  path: string,
  id: string | undefined,
  problems: Problems,
): void {
  for (const key of Object.keys(record)) {
    if (!known.has(key)) {
      problems.add(
        `${path}.${key}`,
        id,
        `is not a field of compliance.md's format (known: ${[...known].join(', ')})`,
      );
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseHistory(
  value: unknown,
  path: string,
  id: string | undefined,
  attemptParty: Party | undefined,
  problems: Problems,
): HistoryEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add(path, id, `must be a list of earlier contacts, not ${describe(value)}`);
    return [];
  }
  const history: HistoryEntry[] = [];
  for (let i = 0; i < value.length; i++) {
    const entryPath = `${path}[${i}]`;
    const raw: unknown = value[i];
    if (!isRecord(raw)) {
      problems.add(entryPath, id, `must be an object, not ${describe(raw)}`);
      continue;
    }
    unknownFields(raw, historyFields, entryPath, id, problems);
    const atMs = instant(raw, entryPath, id, problems);
    const channel = oneOf<Channel>(raw.channel, channels, `${entryPath}.channel`, id, problems);
    const party =
      raw.party === undefined || raw.party === null
        ? attemptParty
        : oneOf<Party>(raw.party, parties, `${entryPath}.party`, id, problems);
    const outcome = oneOf<Outcome>(raw.outcome, outcomes, `${entryPath}.outcome`, id, problems);
    const number = optionalText(raw, 'number', entryPath, id, problems);
    const robot = flag(raw, 'robot', entryPath, id, problems);
    if (channel === undefined || party === undefined || outcome === undefined) continue;
    history.push({
      atMs,
      channel,
      party,
      number: number === null ? null : normaliseNumber(number),
      robot,
      outcome,
    });
  }
  return history;
}

/**
 * Validates a parsed JSON document `{ "attempts": [...] }` and returns the attempts in order; throws
 * one `bad_input` error listing every problem (the first hundred) when anything is wrong.
 */
export function parseAttemptDocument(document: unknown, source = 'the attempt file'): ParsedAttempt[] {
  if (!isRecord(document) || !Array.isArray(document.attempts)) {
    throw new HuikuanError(
      'bad_input',
      `${source} must be a JSON object with a list "attempts", e.g. {"attempts": [{"id": "a1", "at": "2026-03-02T13:59:00Z", "channel": "call", "party": "debtor", "timezone": "Asia/Shanghai"}]}.`,
    );
  }
  const problems = new Problems();
  for (const key of Object.keys(document)) {
    if (key !== 'attempts') problems.add(key, undefined, 'is not a field of the document (only "attempts")');
  }
  const attempts: ParsedAttempt[] = [];
  const list: unknown[] = document.attempts;
  for (let i = 0; i < list.length; i++) {
    const path = `attempts[${i}]`;
    const raw = list[i];
    if (!isRecord(raw)) {
      problems.add(path, undefined, `must be an object, not ${describe(raw)}`);
      continue;
    }
    const id = typeof raw.id === 'string' && raw.id.trim() !== '' ? raw.id : undefined;
    if (id === undefined)
      problems.add(`${path}.id`, undefined, `must be a non-empty string, not ${describe(raw.id)}`);
    const before = problems.total;
    unknownFields(raw, attemptFields, path, id, problems);
    const atMs = instant(raw, path, id, problems);
    const channel = oneOf<Channel>(raw.channel, channels, `${path}.channel`, id, problems);
    const party = oneOf<Party>(raw.party, parties, `${path}.party`, id, problems);
    const timezone = optionalText(raw, 'timezone', path, id, problems);
    if (timezone !== null && !isKnownZone(timezone)) {
      problems.add(
        `${path}.timezone`,
        id,
        `"${timezone}" is not an IANA time zone (write e.g. Asia/Shanghai)`,
      );
    }
    const number = optionalText(raw, 'number', path, id, problems);
    const robot = flag(raw, 'robot', path, id, problems);
    const lostContact = flag(raw, 'lost_contact', path, id, problems);
    const consentQuietHours = flag(raw, 'consent_quiet_hours', path, id, problems);
    const holds: Hold[] = [];
    if (raw.holds !== undefined && raw.holds !== null) {
      if (!Array.isArray(raw.holds)) {
        problems.add(`${path}.holds`, id, `must be a list of holds, not ${describe(raw.holds)}`);
      } else {
        for (let h = 0; h < raw.holds.length; h++) {
          const hold = oneOf<Hold>(raw.holds[h], holdCodes, `${path}.holds[${h}]`, id, problems);
          if (hold !== undefined && !holds.includes(hold)) holds.push(hold);
        }
      }
    }
    const history = parseHistory(raw.history, `${path}.history`, id, party, problems);
    if (problems.total !== before || id === undefined || channel === undefined || party === undefined)
      continue;
    attempts.push({
      id,
      purpose: 'collect',
      channel,
      party,
      atMs,
      timezone,
      number: number === null ? null : normaliseNumber(number),
      robot,
      lostContact,
      consentQuietHours,
      holds,
      history,
    });
  }
  if (problems.total > 0) {
    const shown = problems.list
      .slice(0, 5)
      .map((p) => `${p.path}${p.id === undefined ? '' : ` (id ${p.id})`}: ${p.reason}`)
      .join('; ');
    const more = problems.total > 5 ? ` … and ${problems.total - 5} more` : '';
    throw new HuikuanError(
      'bad_input',
      `${source} has ${problems.total} problem${problems.total === 1 ? '' : 's'}; nothing was checked. ${shown}${more}. Fix them and run the check again.`,
      { errors: problems.list, total: problems.total },
    );
  }
  return attempts;
}

/** Parses the text of an attempt file: JSON that cannot be read is a `bad_file` error. */
export function parseAttemptText(text: string, source = 'the attempt file'): ParsedAttempt[] {
  let document: unknown;
  try {
    document = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new HuikuanError(
      'bad_file',
      `${source} is not valid JSON (${(error as Error).message}). Write one JSON object {"attempts": [...]} in UTF-8.`,
    );
  }
  return parseAttemptDocument(document, source);
}
