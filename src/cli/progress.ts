/**
 * The progress bar of long commands (imports, the nightly run), drawn on the command's stderr when
 * it is a terminal and nothing otherwise, so piped and --json output stay clean.
 */
import cliProgress from 'cli-progress';
import type { CliContext } from './context.ts';

export interface ProgressBar {
  /** Shows `value` of `total` (0 when the total is not known), starting the bar on first use. */
  show(value: number, total: number, payload?: Record<string, string>): void;
  /** Ends the bar; a later `show` starts a new one (a next phase). */
  stop(): void;
}

const silent: ProgressBar = { show: () => {}, stop: () => {} };

/** `format` is cli-progress's: {bar}, {value}, {total}, {duration_formatted} and payload names. */
export function progressBar(context: CliContext, format: string): ProgressBar {
  if (!context.io.interactive) return silent;
  const bar = new cliProgress.SingleBar(
    {
      format,
      stream: {
        write: (text: string) => context.io.stderr(text),
        isTTY: true,
      } as unknown as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    show: (value, total, payload) => {
      if (!started) {
        bar.start(total, value, payload);
        started = true;
        return;
      }
      bar.setTotal(total);
      bar.update(value, payload);
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
