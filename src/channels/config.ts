/**
 * Channel settings from the environment (README "Channels"). Nothing is required: a channel whose
 * variables are absent is "not configured" and says so when it is used; the server starts either way.
 * Malformed values are refused at start with what to set.
 */
import { HuikuanError } from '../shared/errors.ts';
import { channelLimits, type SmsProviderName, smsProviders } from './model.ts';

export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the start (smtps://); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user: string | null;
  password: string | null;
  /** The From header, e.g. `回款催收 <notice@agency.example>`. */
  from: string;
  /** Refuse to send without TLS (STARTTLS required on smtp://). */
  requireTls: boolean;
}

export interface AliyunSettings {
  /** The Dysms endpoint, default https://dysmsapi.aliyuncs.com/ */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  regionId: string;
  signName: string;
  /** The template used when a message names none; its one variable is `templateParam`. */
  templateCode: string;
  templateParam: string;
}

export interface TwilioSettings {
  /** The API's base, default https://api.twilio.com */
  apiBase: string;
  accountSid: string;
  authToken: string;
  from: string | null;
  messagingServiceSid: string | null;
}

/** The agency as letters and the debtor page name it (letterhead, return address, contact). */
export interface AgencySettings {
  name: string;
  /** Postal address, one line each (HUIKUAN_AGENCY_ADDRESS, lines separated by "|"). */
  address: string[];
  phone: string | null;
  email: string | null;
}

/** The Asterisk Manager Interface (AMI) the phone channel originates calls through. */
export interface AmiSettings {
  host: string;
  port: number;
  username: string;
  secret: string;
  /** The dialplan context the debtor's number is dialled in (HUIKUAN_AMI_CONTEXT). */
  context: string;
  /** The agent's channel, `{extension}` replaced (HUIKUAN_AMI_CHANNEL, default PJSIP/{extension}). */
  channelTemplate: string;
  /** The caller id shown to the debtor (HUIKUAN_AMI_CALLER_ID). */
  callerId: string | null;
}

export interface ChannelConfig {
  /** Where the world reaches this server: opt-out links, status callbacks, Twilio's signed URLs. */
  publicUrl: string | null;
  smtp: SmtpSettings | null;
  /** The provider that sends SMS (its webhooks and the other's are served either way). */
  smsProvider: SmsProviderName | null;
  aliyun: AliyunSettings | null;
  twilio: TwilioSettings | null;
  /** Letters and the debtor page need the agency's name and address. */
  agency: AgencySettings | null;
  ami: AmiSettings | null;
  sendTimeoutMs: number;
  sendRetries: number;
  retryBackoffMs: number;
}

export const unconfigured: ChannelConfig = {
  publicUrl: null,
  smtp: null,
  smsProvider: null,
  aliyun: null,
  twilio: null,
  agency: null,
  ami: null,
  sendTimeoutMs: channelLimits.sendTimeoutMs,
  sendRetries: channelLimits.sendRetries,
  retryBackoffMs: channelLimits.retryBackoffMs,
};

type Env = Record<string, string | undefined>;

function bad(name: string, why: string): HuikuanError {
  return new HuikuanError('bad_usage', `${name} ${why}`);
}

function value(env: Env, name: string): string | null {
  const text = env[name]?.trim();
  return text === undefined || text === '' ? null : text;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = value(env, name);
  if (text === null) return fallback;
  const number = Number(text);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw bad(name, `must be a whole number from ${min} to ${max}, not "${text}".`);
  }
  return number;
}

function httpUrl(env: Env, name: string, fallback: string | null): string | null {
  const text = value(env, name) ?? fallback;
  if (text === null) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad(name, `must be an http(s) URL, not "${text}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw bad(name, `must be an http(s) URL, not "${text}".`);
  }
  return text.replace(/\/+$/, '');
}

/** Every named variable or none: a partial set is a mistake worth stopping for. */
function group(env: Env, names: string[], what: string): boolean {
  const present = names.filter((name) => value(env, name) !== null);
  if (present.length === 0) return false;
  if (present.length < names.length) {
    const missing = names.filter((name) => !present.includes(name));
    throw new HuikuanError(
      'bad_usage',
      `${what} is half configured: ${present.join(', ')} set but ${missing.join(', ')} not. Set them all, or none to leave ${what} off.`,
    );
  }
  return true;
}

function smtpFrom(env: Env): SmtpSettings | null {
  if (!group(env, ['HUIKUAN_SMTP_URL', 'HUIKUAN_SMTP_FROM'], 'E-mail (SMTP)')) return null;
  const text = value(env, 'HUIKUAN_SMTP_URL') ?? '';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('HUIKUAN_SMTP_URL', 'must look like smtp://user:password@host:587 or smtps://host:465.');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw bad('HUIKUAN_SMTP_URL', `must start smtp:// or smtps://, not "${url.protocol}//".`);
  }
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    user: url.username === '' ? null : decodeURIComponent(url.username),
    password: url.password === '' ? null : decodeURIComponent(url.password),
    from: value(env, 'HUIKUAN_SMTP_FROM') ?? '',
    requireTls: value(env, 'HUIKUAN_SMTP_REQUIRE_TLS') === 'true',
  };
}

function aliyunFrom(env: Env): AliyunSettings | null {
  const names = [
    'HUIKUAN_ALIYUN_ACCESS_KEY_ID',
    'HUIKUAN_ALIYUN_ACCESS_KEY_SECRET',
    'HUIKUAN_ALIYUN_SIGN_NAME',
    'HUIKUAN_ALIYUN_TEMPLATE_CODE',
  ];
  if (!group(env, names, 'Aliyun SMS')) return null;
  return {
    endpoint: httpUrl(env, 'HUIKUAN_ALIYUN_ENDPOINT', 'https://dysmsapi.aliyuncs.com') ?? '',
    accessKeyId: value(env, 'HUIKUAN_ALIYUN_ACCESS_KEY_ID') ?? '',
    accessKeySecret: value(env, 'HUIKUAN_ALIYUN_ACCESS_KEY_SECRET') ?? '',
    regionId: value(env, 'HUIKUAN_ALIYUN_REGION') ?? 'cn-hangzhou',
    signName: value(env, 'HUIKUAN_ALIYUN_SIGN_NAME') ?? '',
    templateCode: value(env, 'HUIKUAN_ALIYUN_TEMPLATE_CODE') ?? '',
    templateParam: value(env, 'HUIKUAN_ALIYUN_TEMPLATE_PARAM') ?? 'content',
  };
}

function twilioFrom(env: Env): TwilioSettings | null {
  if (!group(env, ['HUIKUAN_TWILIO_ACCOUNT_SID', 'HUIKUAN_TWILIO_AUTH_TOKEN'], 'Twilio SMS')) return null;
  const from = value(env, 'HUIKUAN_TWILIO_FROM');
  const service = value(env, 'HUIKUAN_TWILIO_MESSAGING_SERVICE_SID');
  if (from === null && service === null) {
    throw new HuikuanError(
      'bad_usage',
      'Twilio SMS needs the number it sends from (HUIKUAN_TWILIO_FROM, E.164) or a messaging service (HUIKUAN_TWILIO_MESSAGING_SERVICE_SID).',
    );
  }
  return {
    apiBase: httpUrl(env, 'HUIKUAN_TWILIO_API_URL', 'https://api.twilio.com') ?? '',
    accountSid: value(env, 'HUIKUAN_TWILIO_ACCOUNT_SID') ?? '',
    authToken: value(env, 'HUIKUAN_TWILIO_AUTH_TOKEN') ?? '',
    from,
    messagingServiceSid: service,
  };
}

function agencyFrom(env: Env): AgencySettings | null {
  if (!group(env, ['HUIKUAN_AGENCY_NAME', 'HUIKUAN_AGENCY_ADDRESS'], 'The agency (letters)')) return null;
  const address = (value(env, 'HUIKUAN_AGENCY_ADDRESS') ?? '')
    .split('|')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (address.length > 8) throw bad('HUIKUAN_AGENCY_ADDRESS', 'has more than 8 lines (separated by "|").');
  return {
    name: value(env, 'HUIKUAN_AGENCY_NAME') ?? '',
    address,
    phone: value(env, 'HUIKUAN_AGENCY_PHONE'),
    email: value(env, 'HUIKUAN_AGENCY_EMAIL'),
  };
}

function amiFrom(env: Env): AmiSettings | null {
  if (!group(env, ['HUIKUAN_AMI_URL', 'HUIKUAN_AMI_CONTEXT'], 'The phone (Asterisk AMI)')) return null;
  const text = value(env, 'HUIKUAN_AMI_URL') ?? '';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('HUIKUAN_AMI_URL', 'must look like tcp://user:secret@pbx.example:5038.');
  }
  if (url.protocol !== 'tcp:' || url.username === '' || url.password === '') {
    throw bad(
      'HUIKUAN_AMI_URL',
      'must look like tcp://user:secret@pbx.example:5038 (user and secret included).',
    );
  }
  const template = value(env, 'HUIKUAN_AMI_CHANNEL') ?? 'PJSIP/{extension}';
  if (!template.includes('{extension}')) throw bad('HUIKUAN_AMI_CHANNEL', 'must contain {extension}.');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 5038 : Number(url.port),
    username: decodeURIComponent(url.username),
    secret: decodeURIComponent(url.password),
    context: value(env, 'HUIKUAN_AMI_CONTEXT') ?? '',
    channelTemplate: template,
    callerId: value(env, 'HUIKUAN_AMI_CALLER_ID'),
  };
}

/** The channels' settings from the environment; throws `bad_usage` naming the variable that is wrong. */
export function channelConfigFromEnv(env: Env = process.env): ChannelConfig {
  const aliyun = aliyunFrom(env);
  const twilio = twilioFrom(env);
  const chosen = value(env, 'HUIKUAN_SMS_PROVIDER');
  let smsProvider: SmsProviderName | null = null;
  if (chosen !== null) {
    if (!(smsProviders as readonly string[]).includes(chosen)) {
      throw bad('HUIKUAN_SMS_PROVIDER', `must be ${smsProviders.join(' or ')}, not "${chosen}".`);
    }
    smsProvider = chosen as SmsProviderName;
    if ((smsProvider === 'aliyun' && !aliyun) || (smsProvider === 'twilio' && !twilio)) {
      throw bad(
        'HUIKUAN_SMS_PROVIDER',
        `names ${smsProvider}, whose variables are not set (README "Channels").`,
      );
    }
  } else if (aliyun && !twilio) smsProvider = 'aliyun';
  else if (twilio && !aliyun) smsProvider = 'twilio';
  else if (aliyun && twilio) {
    throw bad('HUIKUAN_SMS_PROVIDER', 'must say which of aliyun and twilio sends SMS: both are configured.');
  }
  return {
    publicUrl: httpUrl(env, 'HUIKUAN_PUBLIC_URL', null),
    smtp: smtpFrom(env),
    smsProvider,
    aliyun,
    twilio,
    agency: agencyFrom(env),
    ami: amiFrom(env),
    sendTimeoutMs: integer(env, 'HUIKUAN_CHANNEL_TIMEOUT_MS', channelLimits.sendTimeoutMs, 1_000, 120_000),
    sendRetries: integer(env, 'HUIKUAN_CHANNEL_RETRIES', channelLimits.sendRetries, 0, 5),
    retryBackoffMs: channelLimits.retryBackoffMs,
  };
}
