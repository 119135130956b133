/**
 * Today's business date, 'YYYY-MM-DD', in the agency's zone (Asia/Shanghai), as the server's todayIn
 * counts it: from 16:00 UTC a browser on UTC (or anywhere west of China) is still on yesterday, and a
 * default period ending "today" would leave out what the server dated today.
 */
export function todayIso(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}
