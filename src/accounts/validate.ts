/**
 * Pure validation of debtors' identifiers and contact data: PRC resident ID numbers, phone numbers
 * (normalised to E.164), e-mail addresses and ISO 3166 country codes.
 */

import { daysInMonth } from '../shared/dates.ts';
export type Check<T> = { ok: true; value: T } | { ok: false; reason: string };

const idWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const idCheckChars = '10X98765432';
/** The first two digits: province-level division codes of the GB/T 2260 standard. */
const provinceCodes = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
  '83',
  '91',
]);

/** The ISO 7064 MOD 11-2 check character of the first 17 digits of a PRC resident ID. */
export function idCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * (idWeights[i] ?? 0);
  return idCheckChars[sum % 11] ?? '?';
}

export interface ChineseId {
  id: string;
  birthDate: string;
}

/** An 18-character PRC resident ID: region, plausible birth date, sequence, MOD 11-2 check character. */
const idShape = /^\d{17}[\dX]$/;

export function checkChineseId(text: string, today?: Date): Check<ChineseId> {
  const id = idShape.test(text) ? text : text.trim().replace(/\s+/g, '').toUpperCase().replace('Ｘ', 'X');
  if (!idShape.test(id)) {
    return {
      ok: false,
      reason: `"${text}" is not an ID number: 18 characters, digits with a final digit or X`,
    };
  }
  if (!provinceCodes.has(id.slice(0, 2))) {
    return { ok: false, reason: `"${text}" starts with ${id.slice(0, 2)}, which is no province code` };
  }
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  if (
    year < 1900 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    Date.UTC(year, month - 1, day) > (today?.getTime() ?? Date.now())
  ) {
    return { ok: false, reason: `"${text}" holds no plausible birth date (${id.slice(6, 14)})` };
  }
  const expected = idCheckCharacter(id.slice(0, 17));
  if (id[17] !== expected) {
    return {
      ok: false,
      reason: `"${text}" has a wrong check digit (the last character should be ${expected})`,
    };
  }
  return { ok: true, value: { id, birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}` } };
}

/** The calling code of the countries whose numbers are written without one in a file. */
const defaultCallingCode: Record<string, string> = {
  CN: '86',
  US: '1',
  CA: '1',
  GB: '44',
  HK: '852',
  MO: '853',
  TW: '886',
  SG: '65',
};

/**
 * A phone number in E.164. National forms are read for the default country (CN unless given):
 * mobiles `1[3-9]` + 9 digits, landlines with their area code (`010-12345678`, `0755 1234 5678`);
 * numbers with `+` or `00` and a country code are accepted for any country (+86, +1 and +44 are
 * checked against their numbering plans).
 */
const plainChineseMobile = /^1[3-9]\d{9}$/;

export function normalisePhone(text: string, defaultCountry = 'CN'): Check<string> {
  // the common case of a Chinese file: a bare 11-digit mobile
  if (defaultCountry === 'CN' && plainChineseMobile.test(text)) return { ok: true, value: `+86${text}` };
  const raw = text.trim();
  const bad = (why: string): Check<string> => badPhone(text, why);
  if (raw === '') return bad('empty');
  if (/[^\d\s+()./-]/.test(raw.replace(/^tel:/i, '').replace(/(?:ext\.?|x|转)\s*\d+$/i, ''))) {
    return bad('only digits, spaces, +, -, (, ) and . belong in a phone number');
  }
  let digits = raw.replace(/^tel:/i, '').replace(/[\s()./-]/g, '');
  let international = false;
  if (digits.startsWith('+')) {
    international = true;
    digits = digits.slice(1);
  } else if (digits.startsWith('00')) {
    international = true;
    digits = digits.slice(2);
  }
  if (!/^\d+$/.test(digits)) return bad('misplaced +');
  if (!international) {
    const code = defaultCallingCode[defaultCountry] ?? '86';
    if (code === '86' && /^86(1[3-9]\d{9})$/.test(digits)) return { ok: true, value: `+${digits}` };
    if (code === '1' && /^1\d{10}$/.test(digits)) digits = digits.slice(1);
    if (code === '86' || code === '44') {
      if (code === '86' && digits.startsWith('1')) {
        // a mobile: no trunk prefix
      } else if (digits.startsWith('0')) {
        digits = digits.slice(1);
      } else if (code === '86') {
        return bad('a landline needs its area code (e.g. 010-12345678)');
      }
    }
    digits = code + digits;
  }
  return checkE164(digits, text);
}

function badPhone(text: string, why: string): Check<string> {
  return { ok: false, reason: `"${text}" is not a phone number: ${why}` };
}

function checkE164(digits: string, text: string): Check<string> {
  const bad = (why: string): Check<string> => badPhone(text, why);
  if (digits.startsWith('86')) {
    const national = digits.slice(2);
    if (/^1[1-9]/.test(national)) {
      return /^1[3-9]\d{9}$/.test(national)
        ? { ok: true, value: `+${digits}` }
        : bad('a mainland mobile has 11 digits starting 13–19');
    }
    // landline: area code 10, 2x or 3 digits from 3xx to 9xx, then a 7- or 8-digit subscriber number
    return /^(?:10|2\d|[3-9]\d{2})\d{7,8}$/.test(national) && national.length <= 11
      ? { ok: true, value: `+${digits}` }
      : bad('not a mainland mobile (11 digits starting 13–19) or landline with area code');
  }
  if (digits.startsWith('1')) {
    return /^1[2-9]\d{2}[2-9]\d{6}$/.test(digits)
      ? { ok: true, value: `+${digits}` }
      : bad('a +1 number has a 3-digit area code and 7 digits');
  }
  if (digits.startsWith('44')) {
    return /^44[1-9]\d{8,9}$/.test(digits)
      ? { ok: true, value: `+${digits}` }
      : bad('a +44 number has 9 or 10 digits after the country code');
  }
  if (digits.startsWith('0')) return bad('a country code never starts with 0');
  if (digits.length < 8 || digits.length > 15) return bad('E.164 numbers have 8 to 15 digits');
  return { ok: true, value: `+${digits}` };
}

/** An e-mail address (syntax only), with its domain lower-cased. */
export function checkEmail(text: string): Check<string> {
  const email = text.trim();
  const match =
    /^([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+)@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$/.exec(
      email,
    );
  if (!match || email.length > 254 || (match[1] ?? '').length > 64) {
    return { ok: false, reason: `"${text}" is not an e-mail address` };
  }
  const local = match[1] ?? '';
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return { ok: false, reason: `"${text}" is not an e-mail address` };
  }
  return { ok: true, value: `${local}@${(match[2] ?? '').toLowerCase()}` };
}

const iso3166 = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO ' +
    'JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR ' +
    'MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO ' +
    'RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV ' +
    'TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

const countryNames: Record<string, string> = {
  中国: 'CN',
  中华人民共和国: 'CN',
  china: 'CN',
  香港: 'HK',
  澳门: 'MO',
  台湾: 'TW',
  美国: 'US',
  英国: 'GB',
  usa: 'US',
  uk: 'GB',
};

/** An ISO 3166-1 alpha-2 code (a few common names are accepted too). */
export function checkCountry(text: string): Check<string> {
  const trimmed = text.trim();
  const upper = trimmed.toUpperCase();
  if (iso3166.has(upper)) return { ok: true, value: upper };
  const named = countryNames[trimmed.toLowerCase()];
  if (named) return { ok: true, value: named };
  return { ok: false, reason: `"${text}" is not an ISO 3166 country code (write e.g. CN, HK, US)` };
}

export function isCountryCode(code: string): boolean {
  return iso3166.has(code);
}
