/** Channel settings from the environment: none is fine, a half-set channel or a bad value stops with what to set. */
import { describe, expect, it } from 'vitest';
import { channelConfigFromEnv, unconfigured } from './config.ts';

const twilio = {
  HUIKUAN_TWILIO_ACCOUNT_SID: 'AC0123',
  HUIKUAN_TWILIO_AUTH_TOKEN: 'token',
  HUIKUAN_TWILIO_FROM: '+15005550006',
};
const aliyun = {
  HUIKUAN_ALIYUN_ACCESS_KEY_ID: 'LTAI',
  HUIKUAN_ALIYUN_ACCESS_KEY_SECRET: 'secret',
  HUIKUAN_ALIYUN_SIGN_NAME: '回款催收',
  HUIKUAN_ALIYUN_TEMPLATE_CODE: 'SMS_1',
};

describe('channel settings from the environment', () => {
  it('leaves every channel off when nothing is set', () => {
    expect(channelConfigFromEnv({})).toEqual(unconfigured);
  });

  it('reads SMTP from one URL, and the provider that sends SMS', () => {
    const config = channelConfigFromEnv({
      HUIKUAN_SMTP_URL: 'smtp://mailer:p%40ss@smtp.example.com:2525',
      HUIKUAN_SMTP_FROM: '回款催收 <notice@agency.example>',
      HUIKUAN_PUBLIC_URL: 'https://huikuan.agency.example/',
      HUIKUAN_CHANNEL_RETRIES: '0',
      ...twilio,
    });
    expect(config.smtp).toEqual({
      host: 'smtp.example.com',
      port: 2525,
      secure: false,
      user: 'mailer',
      password: 'p@ss',
      from: '回款催收 <notice@agency.example>',
      requireTls: false,
    });
    expect(config.publicUrl).toBe('https://huikuan.agency.example');
    expect(config.smsProvider).toBe('twilio');
    expect(config.twilio).toMatchObject({ apiBase: 'https://api.twilio.com', from: '+15005550006' });
    expect(config.sendRetries).toBe(0);
    expect(
      channelConfigFromEnv({ HUIKUAN_SMTP_URL: 'smtps://smtp.example.com', HUIKUAN_SMTP_FROM: 'a@b.c' }).smtp,
    ).toMatchObject({ port: 465, secure: true, user: null });
    expect(channelConfigFromEnv(aliyun)).toMatchObject({
      smsProvider: 'aliyun',
      aliyun: {
        endpoint: 'https://dysmsapi.aliyuncs.com',
        templateParam: 'content',
        regionId: 'cn-hangzhou',
      },
    });
  });

  it('stops at a half-configured channel or a bad value, naming the variable', () => {
    expect(() => channelConfigFromEnv({ HUIKUAN_SMTP_URL: 'smtp://x' })).toThrow(/HUIKUAN_SMTP_FROM not/);
    expect(() => channelConfigFromEnv({ HUIKUAN_SMTP_URL: 'http://x', HUIKUAN_SMTP_FROM: 'a@b.c' })).toThrow(
      /HUIKUAN_SMTP_URL must start smtp/,
    );
    expect(() => channelConfigFromEnv({ ...twilio, ...aliyun })).toThrow(/HUIKUAN_SMS_PROVIDER must say/);
    expect(channelConfigFromEnv({ ...twilio, ...aliyun, HUIKUAN_SMS_PROVIDER: 'aliyun' }).smsProvider).toBe(
      'aliyun',
    );
    expect(() => channelConfigFromEnv({ HUIKUAN_SMS_PROVIDER: 'tencent' })).toThrow(/aliyun or twilio/);
    expect(() => channelConfigFromEnv({ HUIKUAN_SMS_PROVIDER: 'twilio' })).toThrow(
      /whose variables are not set/,
    );
    expect(() => channelConfigFromEnv({ ...twilio, HUIKUAN_TWILIO_FROM: '' })).toThrow(/HUIKUAN_TWILIO_FROM/);
    expect(() => channelConfigFromEnv({ HUIKUAN_CHANNEL_TIMEOUT_MS: '5' })).toThrow(/from 1000 to 120000/);
    expect(() => channelConfigFromEnv({ HUIKUAN_PUBLIC_URL: 'huikuan.example' })).toThrow(/http\(s\) URL/);
  });
});
