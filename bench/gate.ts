/**
 * `npm run bench -- gate [--size N] [--seed N]` (default 1,000,000 attempts): the rule gate in
 * process (performance.md: ≥ 200,000 verdicts/s at 1,000,000 attempts). Attempts are generated
 * from the seed in chunks (not timed) with realistic histories — mostly CN, some US and UK; calls,
 * SMS, e-mail, letters, visits; a skewed number of earlier contacts over the last ten days; a few
 * holds, third parties and unknown zones — and only `evaluate` is timed. It runs at N/10 first and
 * then at N, so the line shows whether the cost grows linearly, both after an untimed warm-up of
 * 20,000 attempts from another seed. There is no floor (performance.md).
 */
import type { Attempt, HistoryEntry, Hold, Outcome } from '../src/compliance/model.ts';
import { evaluate, holdCodes } from '../src/compliance/model.ts';
import { type Channel, defaultProfiles, type Jurisdiction, type Party } from '../src/compliance/profiles.ts';
import { log, parseArgs, report, round, rssSampler } from './common.ts';
import { mobileNumber, Random } from './generate.ts';

// small chunks: a chunk's objects die young, so the collector's cost stays that of the gate's own garbage
const chunkSize = 2_000;
const warmUp = 20_000;
const targetPerSecond = 200_000;
const dayMs = 86_400_000;
const start = Date.parse('2026-03-02T00:00:00Z');

const utcOffsetHours: Record<Jurisdiction, number> = { CN: 8, US: -6, UK: 0 };
const usZones = [
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Phoenix',
  'America/Los_Angeles',
];
const channelWeights: Array<[Channel, number]> = [
  ['call', 0.6],
  ['sms', 0.25],
  ['email', 0.07],
  ['letter', 0.05],
  ['visit', 0.03],
];
const partyWeights: Array<[Party, number]> = [
  ['debtor', 0.8],
  ['guarantor', 0.05],
  ['agreed_contact', 0.08],
  ['third_party', 0.07],
];
const callOutcomes: Array<[Outcome, number]> = [
  ['no_answer', 0.38],
  ['busy', 0.1],
  ['connected_no_answer', 0.1],
  ['voicemail', 0.1],
  ['conversation', 0.27],
  ['not_in_service', 0.05],
];

function weighted<T>(random: Random, weights: Array<[T, number]>): T {
  let r = random.next();
  for (const [value, weight] of weights) {
    r -= weight;
    if (r < 0) return value;
  }
  return (weights[weights.length - 1] as [T, number])[0];
}

interface Generated {
  jurisdiction: Jurisdiction;
  attempt: Attempt;
}

function numberFor(random: Random, jurisdiction: Jurisdiction): string {
  if (jurisdiction === 'CN') return `+86${mobileNumber(random)}`;
  if (jurisdiction === 'US')
    return `+1${random.int(201, 989)}555${String(random.int(0, 9999)).padStart(4, '0')}`;
  return `+447${String(random.int(0, 999_999_999)).padStart(9, '0')}`;
}

function generate(random: Random): Generated {
  const r = random.next();
  const jurisdiction: Jurisdiction = r < 0.7 ? 'CN' : r < 0.9 ? 'US' : 'UK';
  const channel = weighted(random, channelWeights);
  const party = weighted(random, partyWeights);
  const number = numberFor(random, jurisdiction);
  let timezone: string | null;
  if (jurisdiction === 'CN') timezone = random.chance(0.95) ? 'Asia/Shanghai' : null;
  else if (jurisdiction === 'US') timezone = random.chance(0.9) ? random.pick(usZones) : null;
  else timezone = 'Europe/London';
  // most contacts are proposed in working hours (08:30–20:30 local, near enough), a tenth at any time
  const localSecond = random.chance(0.9) ? random.int(30_600, 73_800) : random.int(0, 86_399);
  const atMs = start + random.int(0, 29) * dayMs + (localSecond - utcOffsetHours[jurisdiction] * 3600) * 1000;
  const historyLength = Math.min(40, Math.floor(random.lognormal(1.5, 0.8)));
  const history: HistoryEntry[] = [];
  for (let i = 0; i < historyLength; i++) {
    const call = random.chance(0.7);
    history.push({
      atMs: atMs - random.int(0, 10 * dayMs),
      channel: call ? 'call' : random.chance(0.8) ? 'sms' : 'email',
      party,
      number: random.chance(0.85) ? number : numberFor(random, jurisdiction),
      robot: call && jurisdiction === 'CN' && random.chance(0.2),
      outcome: call ? weighted(random, callOutcomes) : 'delivered',
    });
  }
  const holds: Hold[] = random.chance(0.08) ? [random.pick(holdCodes)] : [];
  return {
    jurisdiction,
    attempt: {
      accountId: String(random.int(1, 5_000_000)),
      purpose: 'collect',
      channel,
      party,
      atMs,
      timezone,
      number,
      robot: channel === 'call' && jurisdiction === 'CN' && random.chance(0.15),
      lostContact: random.chance(0.05),
      consentQuietHours: random.chance(0.02),
      holds,
      history,
    },
  };
}

interface RunResult {
  seconds: number;
  /** CPU time of the timed parts (user + system): what the gate cost, whatever else shares the machine. */
  cpuSeconds: number;
  histories: number;
  counts: Record<string, number>;
}

/** Generates `size` attempts chunk by chunk and times only the verdicts. */
function runGate(size: number, seed: number): RunResult {
  const random = new Random(seed);
  const counts: Record<string, number> = { allow: 0, deny: 0, allow_with_conditions: 0 };
  const jurisdictions: Jurisdiction[] = new Array(chunkSize);
  const attempts: Attempt[] = new Array(chunkSize);
  let elapsed = 0;
  let cpu = 0;
  let histories = 0;
  for (let done = 0; done < size; done += chunkSize) {
    const n = Math.min(chunkSize, size - done);
    for (let i = 0; i < n; i++) {
      const generated = generate(random);
      jurisdictions[i] = generated.jurisdiction;
      attempts[i] = generated.attempt;
      histories += generated.attempt.history.length;
    }
    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const verdict = evaluate(attempts[i] as Attempt, defaultProfiles[jurisdictions[i] as Jurisdiction]);
      counts[verdict.verdict] = (counts[verdict.verdict] ?? 0) + 1;
    }
    elapsed += performance.now() - started;
    const used = process.cpuUsage(cpuStarted);
    cpu += used.user + used.system;
  }
  return { seconds: elapsed / 1000, cpuSeconds: cpu / 1e6, histories, counts };
}

export async function run(args: string[]): Promise<number> {
  const options = parseArgs(args, 1_000_000);
  const smallSize = Math.max(1, Math.floor(options.size / 10));
  const rss = rssSampler();
  // compile the gate and fill the zones' offset caches first (another seed): both sizes time a warm gate
  runGate(warmUp, options.seed + 1);
  log(`gate over ${smallSize} attempts (seed ${options.seed})`);
  const small = runGate(smallSize, options.seed);
  log(`${round(small.seconds)} s, ${Math.round(smallSize / small.seconds)} verdicts/s`);
  log(`gate over ${options.size} attempts`);
  const large = runGate(options.size, options.seed);
  const perSecond = Math.round(options.size / large.seconds);
  log(
    `${round(large.seconds)} s, ${perSecond} verdicts/s; allow ${large.counts.allow}, deny ${large.counts.deny}, with conditions ${large.counts.allow_with_conditions}; ${round(large.histories / options.size, 2)} history entries per attempt`,
  );
  report({
    bench: 'gate',
    size: options.size,
    seconds: round(large.seconds),
    per_second: perSecond,
    rss_mb_max: rss.stop(),
    cpu_seconds: round(large.cpuSeconds),
    cpu_per_second: Math.round(options.size / large.cpuSeconds),
    target_per_second: targetPerSecond,
    meets_target: perSecond >= targetPerSecond,
    warm_up: warmUp,
    small_size: smallSize,
    small_seconds: round(small.seconds),
    small_per_second: Math.round(smallSize / small.seconds),
    history_per_attempt: round(large.histories / options.size, 2),
    verdicts: large.counts,
  });
  return 0;
}
