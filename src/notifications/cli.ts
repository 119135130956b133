/**
 * `huikuan notifications digest`: e-mails each user with an address (set on the bell's settings,
 * POST /api/v1/notifications/email) the notices not yet e-mailed, through the e-mail channel's SMTP
 * settings (HUIKUAN_SMTP_URL …, README "Channels"). The nightly run's worker sends it after each run.
 */
import { channelConfigFromEnv } from '../channels/config.ts';
import type { RegisterCommands } from '../cli/context.ts';
import { type DigestResult, sendDigests } from './service.ts';

export function describeDigest(result: DigestResult): string {
  if (result.skipped) return result.skipped;
  const lines = [`E-mailed ${result.sent} digest(s) carrying ${result.notices} notice(s).`];
  for (const failure of result.failed) lines.push(`not sent to ${failure.user}: ${failure.error}`);
  return lines.join('\n');
}

export const registerNotificationCommands: RegisterCommands = (program, context) => {
  const notifications = program
    .command('notifications')
    .description("staff notifications (the risk watch's new entries for supervisors)");
  notifications
    .command('digest')
    .description('e-mail each user with an address the notifications not yet e-mailed, one message each')
    .option('--json', 'print the result as one JSON document')
    .option(
      '--user <name>',
      'who sends it, for the audit log (default: HUIKUAN_USER or the operating-system user)',
    )
    .action(async (options: { json?: boolean; user?: string }) => {
      const config = channelConfigFromEnv();
      await context.withDatabase(async ({ db }) => {
        const result = await sendDigests(db, config.smtp, {
          publicUrl: config.publicUrl,
          actor: context.actor(options),
        });
        context.report(options, result, () => describeDigest(result));
      });
    });
};
