/**
 * `npm run bench -- api [--size N] [--duration S] [--users U] [--rate R] [--saturation S]` (default
 * 1,000,000 accounts, 30 s, 100 users at most 2 requests a second each, then 10 s without pause):
 * the agent workspace API under load. Seeds (not timed) four clients' accounts with realistic
 * debtors (encrypted, hashed ID and phone numbers, contact points), placement entries, payments
 * through the real import and notes; creates teams, agents, supervisors and client users, logs them
 * in over HTTP (sessions) or gives them read tokens; then autocannon drives the server (a child
 * process, so its RSS is its own) with what the web UI's pages call: the search box (name or its
 * beginning, exact phone, exact ID number, reference), filtered lists (client, batch, bucket,
 * status, balance range, pages) and the account page (detail, ledger, timeline). Each user's visit
 * is search → account → list → account; a few agents' visits probe another team's account, which
 * must answer 404. Target (performance.md): p95 < 50 ms, no errors, server RSS < 600 MB.
 *
 * A person reads a page before the next one, so the measured phase paces each user (--rate R
 * requests a second at most, their starts spread over a second); the saturation phase then drops
 * the pause (a closed loop of --users connections) and reports what the server can take.
 *
 * `--keep` keeps the seeded database and prints its name; `--reuse NAME` runs against it again
 * (same HUIKUAN_DATA_KEY; pending migrations are applied first), skipping the seeding.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { loadDataKey, piiCipher } from '../src/accounts/pii.ts';
import { parseCommissionSchedule } from '../src/clients/model.ts';
import { addClient } from '../src/clients/service.ts';
import { type Connection, openDatabase } from '../src/db/connection.ts';
import { createTeam, createToken, createUser } from '../src/identity/service.ts';
import { buildServer } from '../src/server/app.ts';
import { todayIn } from '../src/shared/dates.ts';
import { benchDatabase, huikuan, log, parseArgs, report, round, rssSampler, tempDir } from './common.ts';
import { Random, writePaymentFile } from './generate.ts';
import { seedNotes, seedPlacedAccounts } from './seed.ts';

const password = 'Bench-Password-42';
const batchSize = 100_000;

const clients = [
  { code: 'ZSB', name: '招商银行信用卡中心', share: 0.4 },
  { code: 'PAB', name: '平安普惠', share: 0.3 },
  { code: 'ZXB', name: '中信银行信用卡中心', share: 0.2 },
  { code: 'MSXF', name: '马上消费金融', share: 0.1 },
] as const;

const teams = [
  { name: '催收一组', clients: ['ZSB'] },
  { name: '催收二组', clients: ['PAB', 'ZXB'] },
  { name: '催收三组', clients: ['ZXB', 'MSXF'] },
] as const;

const agentsPerTeam = 8;
const supervisors = 4;

interface OwnArgs {
  duration: number;
  /** Requests a second each user makes at most (0 = no pause: a closed loop). */
  rate: number;
  saturation: number;
  warmup: number;
  connections: number;
  reuse: string | null;
  rest: string[];
}

function ownArgs(args: string[]): OwnArgs {
  const result: OwnArgs = {
    duration: 30,
    rate: 2,
    saturation: 10,
    warmup: 5,
    connections: 100,
    reuse: null,
    rest: [],
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const number = () => {
      const value = Number(args[++i]);
      if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${arg} needs a whole number`);
      return value;
    };
    if (arg === '--duration') result.duration = Math.max(1, number());
    else if (arg === '--warmup') result.warmup = number();
    else if (arg === '--rate') result.rate = number();
    else if (arg === '--saturation') result.saturation = number();
    else if (arg === '--users' || arg === '--connections') result.connections = Math.max(1, number());
    else if (arg === '--reuse') result.reuse = args[++i] ?? '';
    else result.rest.push(arg);
  }
  if (result.reuse !== null && !/^[a-z_][a-z0-9_]*$/.test(result.reuse)) {
    throw new Error('--reuse needs the name of a database kept by an earlier run (--keep)');
  }
  return result;
}

// ------------------------------------------------------------------ the server (child process)

/** `bench api --serve`: the HTTP server on DATABASE_URL, rate limits raised for the bench only. */
async function serve(): Promise<number> {
  const rss = rssSampler();
  const connection = await openDatabase();
  const app = await buildServer({
    db: connection.db,
    pool: connection.pool,
    webRoot: null,
    requestsPerMinute: 10_000_000,
    loginsPerMinute: 100_000,
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  process.send?.({ type: 'ready', url: address });
  await new Promise<void>((resolve) => {
    process.on('message', (message: { type?: string }) => {
      if (message.type === 'reset') {
        rss.stop();
        Object.assign(rss, rssSampler());
      } else if (message.type === 'stop') resolve();
    });
    process.once('disconnect', () => resolve());
  });
  await app.close();
  await connection.close();
  const stats = {
    type: 'stats',
    rss_mb_max: rss.stop(),
    rss_mb_end: round(process.memoryUsage.rss() / 1048576, 1),
  };
  // the IPC channel would keep this process alive: close it once the figures are sent
  await new Promise<void>((resolve) => (process.send ? process.send(stats, () => resolve()) : resolve()));
  if (process.connected) process.disconnect();
  return 0;
}

interface ServerHandle {
  url: string;
  /** Starts a fresh RSS maximum (after seeding and warm-up). */
  resetRss(): void;
  stop(): Promise<{ rss_mb_max: number; rss_mb_end: number }>;
}

async function startServer(): Promise<ServerHandle> {
  const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/bench.js');
  const child: ChildProcess = fork(bin, ['api', '--serve'], { stdio: 'inherit', env: process.env });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: { type: string; url: string }) => resolve(message.url));
    child.once('exit', (code) => reject(new Error(`the bench server stopped (exit code ${code})`)));
  });
  return {
    url,
    resetRss: () => child.send({ type: 'reset' }),
    stop: () =>
      new Promise((resolve, reject) => {
        child.on('message', (message: { type: string; rss_mb_max: number; rss_mb_end: number }) => {
          if (message.type === 'stats') resolve(message);
        });
        child.once('exit', (code) => reject(new Error(`the bench server stopped (exit code ${code})`)));
        child.send({ type: 'stop' });
      }),
  };
}

// ------------------------------------------------------------------ the data

async function seed(db: Connection, size: number, seedValue: number): Promise<void> {
  const today = todayIn();
  const temp = tempDir();
  try {
    const ids = new Map<string, bigint>();
    for (const client of clients) {
      const added = await addClient(
        db.db,
        {
          code: client.code,
          name: client.name,
          effectiveFrom: '2020-01-01',
          terms: { commission: parseCommissionSchedule('0-90:1500,91-180:2500,181-:3500') },
        },
        'bench',
      );
      ids.set(client.code, added.client.id);
    }
    let done = 0;
    const started = performance.now();
    for (const [c, client] of clients.entries()) {
      const clientId = ids.get(client.code) as bigint;
      const count = Math.max(2, Math.round(size * client.share));
      const batches = Math.max(2, Math.ceil(count / batchSize));
      const refs: string[] = [];
      for (let b = 0; b < batches; b++) {
        const first = Math.floor((count * b) / batches);
        const next = Math.floor((count * (b + 1)) / batches);
        const placed = await seedPlacedAccounts(db.db, {
          clientId,
          count: next - first,
          firstIndex: first,
          seed: seedValue + c * 101 + b,
          refPrefix: client.code,
          batchName: `${client.code}-2026-${String(b + 1).padStart(2, '0')}`,
          debtors: { pool: db.pool, cipher: piiCipher(), today },
          analyze: false,
        });
        for (const ref of placed.refs) refs.push(ref);
        done += next - first;
        const seconds = (performance.now() - started) / 1000;
        log(
          `seeded ${done.toLocaleString('en-US')} of ${size.toLocaleString('en-US')} accounts (${round(seconds, 1)} s)`,
        );
      }
      // payments through the real import: a few accounts pay often, most never
      const payments = Math.max(10, Math.round(count * 0.08));
      const file = path.join(temp.dir, `payments-${client.code}.csv`);
      await writePaymentFile(file, { rows: payments, refs, seed: seedValue + c, until: today, badShare: 0 });
      const result = await huikuan(['import', 'payments', file, '--client', client.code, '--user', 'bench']);
      log(`${client.code}: ${result.posted} payments posted`);
    }
    const notes = await seedNotes(db.db, { share: 0.1, seed: seedValue });
    log(`${notes.toLocaleString('en-US')} notes`);
  } finally {
    temp.remove();
  }
}

interface Seat {
  label: string;
  role: 'agent' | 'supervisor' | 'client';
  headers: Record<string, string>;
  /** Client ids in scope; null = every client. */
  clientIds: bigint[] | null;
}

async function people(
  db: Connection,
): Promise<{ agents: string[]; supers: string[]; clientUsers: string[] }> {
  const context = { actor: 'bench' };
  const agents: string[] = [];
  for (const [t, team] of teams.entries()) {
    const created = await createTeam(db.db, { name: team.name, clientCodes: [...team.clients] }, context);
    for (let a = 1; a <= agentsPerTeam; a++) {
      const username = `agent.${t + 1}.${a}`;
      await createUser(
        db.db,
        {
          username,
          displayName: `催收员${t + 1}-${a}`,
          roles: ['agent'],
          team: BigInt(created.id),
          password,
        },
        context,
      );
      agents.push(username);
    }
  }
  const supers: string[] = [];
  for (let s = 1; s <= supervisors; s++) {
    const username = `supervisor.${s}`;
    await createUser(db.db, { username, displayName: `主管${s}`, roles: ['supervisor'], password }, context);
    supers.push(username);
  }
  const clientUsers: string[] = [];
  for (const client of clients) {
    const username = `client.${client.code.toLowerCase()}`;
    await createUser(
      db.db,
      { username, displayName: client.name, roles: ['client'], clientCodes: [client.code], password },
      context,
    );
    clientUsers.push(username);
  }
  return { agents, supers, clientUsers };
}

async function login(url: string, username: string): Promise<Record<string, string>> {
  const response = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200)
    throw new Error(`login of ${username}: ${response.status} ${await response.text()}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { cookie };
}

async function scopeOf(url: string, headers: Record<string, string>, ids: Map<string, bigint>) {
  const response = await fetch(`${url}/api/v1/session`, { headers });
  const body = (await response.json()) as { user: { client_codes: string[] | 'all' } };
  const codes = body.user.client_codes;
  return codes === 'all' ? null : codes.map((code) => ids.get(code) as bigint);
}

/** 100 seats: 70 % agents (sessions), 15 % supervisors (sessions), 10 % client read tokens, 5 % client sessions. */
async function seats(db: Connection, url: string, count: number): Promise<Seat[]> {
  const users = await db.db.selectFrom('users').select('username').execute();
  const names = new Set(users.map((u) => u.username));
  const { agents, supers, clientUsers } = names.has('agent.1.1')
    ? {
        agents: [...names].filter((n) => n.startsWith('agent.')).sort(),
        supers: [...names].filter((n) => n.startsWith('supervisor.')).sort(),
        clientUsers: [...names].filter((n) => n.startsWith('client.')).sort(),
      }
    : await people(db);
  const ids = new Map(
    (await db.db.selectFrom('clients').select(['id', 'code']).execute()).map((row) => [row.code, row.id]),
  );
  const plan: Array<{ role: Seat['role']; username: string; token: boolean }> = [];
  for (let s = 0; s < count; s++) {
    const r = s % 20;
    if (r < 14) plan.push({ role: 'agent', username: agents[s % agents.length] as string, token: false });
    else if (r < 17)
      plan.push({ role: 'supervisor', username: supers[s % supers.length] as string, token: false });
    else if (r < 19)
      plan.push({ role: 'client', username: clientUsers[s % clientUsers.length] as string, token: true });
    else plan.push({ role: 'client', username: clientUsers[s % clientUsers.length] as string, token: false });
  }
  const out: Seat[] = [];
  // logins verify argon2 hashes: a few at a time
  for (let start = 0; start < plan.length; start += 8) {
    const part = plan.slice(start, start + 8);
    const made = await Promise.all(
      part.map(async (p, k) => {
        let headers: Record<string, string>;
        if (p.token) {
          const token = await createToken(
            db.db,
            { user: { username: p.username }, name: `bench ${start + k}`, scopes: ['read'] },
            { actor: 'bench' },
          );
          headers = { authorization: `Bearer ${token.secret}` };
        } else headers = await login(url, p.username);
        return {
          label: `${p.username}${p.token ? ' (token)' : ''}`,
          role: p.role,
          headers,
          clientIds: await scopeOf(url, headers, ids),
        };
      }),
    );
    out.push(...made);
  }
  return out;
}

interface SampleAccount {
  id: string;
  clientId: bigint;
  ref: string;
  name: string;
  idNumber: string | null;
  phone: string | null;
}

/** Random accounts (about 20,000) with their debtors' clear ID and phone numbers: the search terms. */
async function sampleAccounts(db: Connection, seedValue: number): Promise<SampleAccount[]> {
  const total = Number(
    (await sql<{ n: string }>`SELECT count(*)::text AS n FROM accounts`.execute(db.db)).rows[0]?.n ?? 0,
  );
  const percent = Math.min(100, (20_000 * 100) / Math.max(total, 1));
  const rows = await sql<{
    id: bigint;
    client_id: bigint;
    ref: string;
    name: string;
    id_enc: Buffer | null;
    phone_enc: Buffer | null;
  }>`
    SELECT a.id, a.client_id, a.client_account_ref AS ref, d.name, d.id_number_enc AS id_enc,
           (SELECT c.value_enc FROM contact_points c
             WHERE c.debtor_id = d.id AND c.kind = 'phone' ORDER BY c.position LIMIT 1) AS phone_enc
      FROM accounts a TABLESAMPLE BERNOULLI (${sql.lit(percent)}) REPEATABLE (${sql.lit(seedValue % 100_000)})
      JOIN debtors d ON d.id = a.debtor_id`.execute(db.db);
  const cipher = piiCipher();
  return rows.rows.map((row) => ({
    id: String(row.id),
    clientId: row.client_id,
    ref: row.ref,
    name: row.name,
    idNumber: row.id_enc ? cipher.decrypt(row.id_enc) : null,
    phone: row.phone_enc ? cipher.decrypt(row.phone_enc) : null,
  }));
}

// ------------------------------------------------------------------ the load

const buckets = ['current', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M6+'];

interface Visit {
  seat: Seat;
  accountId: string | null;
  expect404: boolean;
}

interface Tally {
  latencies: number[];
  errors: number;
  statuses: Record<string, number>;
}

interface LoadResult {
  seconds: number;
  requests: number;
  socketErrors: number;
  timeouts: number;
  byLabel: Map<string, Tally>;
  intended404: number;
  searchMisses: Record<string, number>;
  errorSamples: string[];
}

function phoneAsTyped(draw: Random, e164: string): string {
  const national = e164.slice(3);
  const r = draw.next();
  if (r < 0.5) return national;
  if (r < 0.75) return `${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`;
  return `+86 ${national.slice(0, 3)}-${national.slice(3, 7)}-${national.slice(7)}`;
}

async function load(
  url: string,
  seatList: Seat[],
  sample: SampleAccount[],
  batchesByClient: Map<bigint, string[]>,
  clientCodes: Map<bigint, string>,
  options: { seconds: number; connections: number; rate: number; seed: number },
): Promise<LoadResult> {
  const draw = new Random(options.seed);
  const allClients = [...batchesByClient.keys()];
  const byClient = new Map<bigint, SampleAccount[]>();
  for (const account of sample) {
    const list = byClient.get(account.clientId) ?? [];
    list.push(account);
    byClient.set(account.clientId, list);
  }
  const inScope = (seat: Seat) => (seat.clientIds ?? allClients).flatMap((id) => byClient.get(id) ?? []);
  const scopedSamples = new Map(seatList.map((seat) => [seat, inScope(seat)]));
  const outOfScope = new Map(
    seatList.map((seat) => [
      seat,
      seat.clientIds === null
        ? []
        : allClients.filter((id) => !seat.clientIds?.includes(id)).flatMap((id) => byClient.get(id) ?? []),
    ]),
  );
  const byLabel = new Map<string, Tally>();
  const searchMisses: Record<string, number> = {
    search_phone: 0,
    search_id: 0,
    search_ref: 0,
    search_name: 0,
  };
  const errorSamples: string[] = [];
  let intended404 = 0;
  let nextSeat = 0;
  // onResponse runs just before autocannon's 'response' event of the same request (synchronously)
  let last: { label: string; ok: boolean } = { label: '?', ok: false };

  const tally = (label: string) => {
    let t = byLabel.get(label);
    if (!t) {
      t = { latencies: [], errors: 0, statuses: {} };
      byLabel.set(label, t);
    }
    return t;
  };
  /** A 404 is what an out-of-scope probe must get (anything else is an error: a 200 leaks). */
  const finish = (label: string, status: number, body: string, intended = false) => {
    const ok = intended ? status === 404 : status >= 200 && status < 300;
    if (intended && ok) intended404++;
    if (!ok && errorSamples.length < 10) errorSamples.push(`${label} ${status} ${body.slice(0, 300)}`);
    last = { label, ok };
    const t = tally(label);
    t.statuses[status] = (t.statuses[status] ?? 0) + 1;
  };
  const visitOf = (context: object) => (context as { visit: Visit }).visit;
  const get = (path: string, visit: Visit): autocannon.Request => ({
    method: 'GET',
    path,
    headers: { accept: 'application/json', ...visit.seat.headers },
  });
  const pickAccount = (visit: Visit): string => {
    const own = scopedSamples.get(visit.seat) ?? [];
    return draw.pick(own).id;
  };

  const search: autocannon.Request = {
    setupRequest: (_request, context) => {
      const seat = seatList[nextSeat++ % seatList.length] as Seat;
      const visit: Visit = { seat, accountId: null, expect404: false };
      (context as { visit: Visit }).visit = visit;
      const account = draw.pick(scopedSamples.get(seat) ?? []);
      const r = draw.next();
      let q: string;
      let label: string;
      if (r < 0.4) {
        label = 'search_name';
        const name = account.name;
        q = draw.chance(0.6) || name.length <= 2 ? name : name.slice(0, Math.max(2, name.length - 1));
      } else if (r < 0.65 && account.phone) {
        label = 'search_phone';
        q = phoneAsTyped(draw, account.phone);
      } else if (r < 0.85 && account.idNumber) {
        label = 'search_id';
        q = draw.chance(0.2) ? account.idNumber.toLowerCase() : account.idNumber;
      } else {
        label = 'search_ref';
        q = account.ref;
      }
      (context as { label: string }).label = label;
      return get(`/api/v1/accounts?q=${encodeURIComponent(q)}&page=1&page_size=20`, visit);
    },
    onResponse: (status, body, context) => {
      const visit = visitOf(context);
      const label = (context as { label: string }).label;
      finish(label, status, body);
      if (status === 200) {
        const page = JSON.parse(body) as { items: Array<{ id: number | string }>; total: number };
        if (page.total === 0) searchMisses[label] = (searchMisses[label] ?? 0) + 1;
        const first = page.items[0];
        if (first) visit.accountId = String(first.id);
      }
    },
  };

  const list: autocannon.Request = {
    setupRequest: (_request, context) => {
      const visit = visitOf(context);
      const scope = visit.seat.clientIds ?? allClients;
      const params = new URLSearchParams();
      let client: bigint | null = null;
      if (draw.chance(0.5) || scope.length === 1) {
        client = draw.pick(scope);
        params.set('client', clientCodes.get(client) as string);
      }
      if (draw.chance(0.2)) {
        const batches = batchesByClient.get(client ?? draw.pick(scope)) ?? [];
        if (batches.length > 0) params.set('batch', draw.pick(batches));
      }
      if (draw.chance(0.4)) params.set('bucket', draw.pick(buckets));
      const status = draw.next();
      if (status < 0.3) params.set('status', 'active');
      else if (status < 0.35) params.set('status', 'paid');
      if (draw.chance(0.3)) {
        const min = draw.pick([100_000, 500_000, 1_000_000, 2_000_000]);
        params.set('min_balance_minor', String(min));
        if (draw.chance(0.5)) params.set('max_balance_minor', String(min * draw.int(2, 10)));
      }
      const p = draw.next();
      params.set('page', String(p < 0.7 ? 1 : p < 0.9 ? draw.int(2, 5) : draw.int(6, 50)));
      params.set('page_size', draw.chance(0.8) ? '20' : '50');
      return get(`/api/v1/accounts?${params}`, visit);
    },
    onResponse: (status, body, context) => {
      const visit = visitOf(context);
      finish('list', status, body);
      visit.accountId = null;
      visit.expect404 = false;
      if (status === 200) {
        const page = JSON.parse(body) as { items: Array<{ id: number | string }> };
        if (page.items.length > 0) visit.accountId = String(draw.pick(page.items).id);
      }
    },
  };

  const account: autocannon.Request = {
    setupRequest: (_request, context) => {
      const visit = visitOf(context);
      const foreign = outOfScope.get(visit.seat) ?? [];
      if (visit.seat.role === 'agent' && foreign.length > 0 && draw.chance(0.02)) {
        visit.accountId = draw.pick(foreign).id;
        visit.expect404 = true;
      } else if (visit.accountId === null) visit.accountId = pickAccount(visit);
      return get(`/api/v1/accounts/${visit.accountId}`, visit);
    },
    onResponse: (status, body, context) => {
      const visit = visitOf(context);
      finish('account', status, body, visit.expect404);
    },
  };
  /** The account page's other calls, on the account the visit opened (404 again for a probe). */
  const ofAccount = (label: string, suffix: string): autocannon.Request => ({
    setupRequest: (_request, context) => {
      const visit = visitOf(context);
      return get(`/api/v1/accounts/${visit.accountId}/${suffix}`, visit);
    },
    onResponse: (status, body, context) => finish(label, status, body, visitOf(context).expect404),
  });
  const ledger = ofAccount('account_ledger', 'ledger?page_size=20');
  const timeline = ofAccount('account_timeline', 'timeline?page=1&page_size=50');
  let requests = 0;
  const started = performance.now();
  const sequence = [search, account, ledger, timeline, list, account, ledger, timeline];
  /** One autocannon instance; `rate` > 0 paces each of its connections to that many requests a second. */
  const cannon = (connections: number, rate: number, delayMs: number) =>
    new Promise<autocannon.Result>((resolve, reject) => {
      setTimeout(() => {
        const instance = autocannon(
          {
            url,
            connections,
            duration: options.seconds,
            timeout: 10,
            requests: sequence,
            ...(rate > 0 ? { connectionRate: rate } : {}),
          },
          (error, result) => (error ? reject(error as Error) : resolve(result)),
        );
        instance.on('response', (_client, _status, _bytes, responseTime) => {
          requests++;
          const t = tally(last.label);
          t.latencies.push(responseTime);
          if (!last.ok) t.errors++;
        });
      }, delayMs);
    });
  // Paced users each get their own instance, their starts spread over a second: one instance's
  // connections all start their second together, which would send every user's request at once.
  const results =
    options.rate > 0
      ? await Promise.all(
          Array.from({ length: options.connections }, (_, i) =>
            cannon(1, options.rate, (1000 * i) / options.connections),
          ),
        )
      : [await cannon(options.connections, 0, 0)];
  return {
    seconds: round((performance.now() - started) / 1000, 2),
    requests,
    socketErrors: results.reduce((sum, r) => sum + r.errors, 0),
    timeouts: results.reduce((sum, r) => sum + r.timeouts, 0),
    byLabel,
    intended404,
    searchMisses,
    errorSamples,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[rank] as number, 1);
}

function figures(latencies: number[]) {
  const sorted = Float64Array.from(latencies).sort();
  const values = Array.from(sorted);
  return { p50_ms: percentile(values, 50), p95_ms: percentile(values, 95), p99_ms: percentile(values, 99) };
}

/** Overall and per-endpoint figures of a run; errors = unintended statuses plus socket errors. */
function summary(result: LoadResult) {
  const all: number[] = [];
  let errors = result.socketErrors;
  const endpoints: Record<string, unknown> = {};
  for (const [label, t] of [...result.byLabel.entries()].sort()) {
    for (const value of t.latencies) all.push(value);
    errors += t.errors;
    endpoints[label] = {
      requests: t.latencies.length,
      ...figures(t.latencies),
      errors: t.errors,
      statuses: t.statuses,
    };
  }
  return {
    seconds: result.seconds,
    per_second: Math.round(result.requests / result.seconds),
    ...figures(all),
    errors,
    endpoints,
  };
}

// ------------------------------------------------------------------ the run

async function reuseDatabase(name: string) {
  const server = await openDatabase({ migrate: false, maxConnections: 2 });
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  await server.close();
  process.env.DATABASE_URL = url.toString();
  const connection = await openDatabase({ url: url.toString() });
  return { ...connection, embedded: server.embedded, name, drop: async () => connection.close() };
}

export async function run(args: string[]): Promise<number> {
  if (args[0] === '--serve') return serve();
  const own = ownArgs(args);
  const options = parseArgs(own.rest, 1_000_000);
  // the server child and the seeding must seal with the same key
  if (!process.env.HUIKUAN_DATA_KEY) {
    process.env.HUIKUAN_DATA_KEY = process.env.DATABASE_URL
      ? randomBytes(32).toString('hex')
      : loadDataKey().toString('hex');
  }
  const db = own.reuse ? await reuseDatabase(own.reuse) : await benchDatabase();
  log(`database ${db.name}${db.embedded ? ' (embedded server)' : ''}`);
  let server: ServerHandle | null = null;
  try {
    if (!own.reuse) {
      log(`seeding ${options.size.toLocaleString('en-US')} accounts (not timed)`);
      const started = performance.now();
      await seed(db, options.size, options.seed);
      log('VACUUM ANALYZE');
      await db.pool.query('VACUUM ANALYZE');
      await db.pool.query('CHECKPOINT').catch(() => {});
      log(`seeded in ${round((performance.now() - started) / 1000, 1)} s`);
    }
    const size = Number(
      (await sql<{ n: string }>`SELECT count(*)::text AS n FROM accounts`.execute(db.db)).rows[0]?.n ?? 0,
    );
    const codesById = new Map(
      (await db.db.selectFrom('clients').select(['id', 'code']).execute()).map((row) => [row.id, row.code]),
    );
    const batchRows = await db.db.selectFrom('placement_batches').select(['id', 'client_id']).execute();
    const batchesByClient = new Map<bigint, string[]>();
    for (const row of batchRows) {
      batchesByClient.set(row.client_id, [...(batchesByClient.get(row.client_id) ?? []), String(row.id)]);
    }
    const sample = await sampleAccounts(db, options.seed);
    server = await startServer();
    const seatList = await seats(db, server.url, own.connections);
    const roles = { agent: 0, supervisor: 0, client: 0 };
    for (const seat of seatList) roles[seat.role]++;
    log(
      `${seatList.length} users at ${server.url} (agents ${roles.agent}, supervisors ${roles.supervisor}, client users ${roles.client}); ${sample.length} sampled accounts`,
    );
    const run = (seconds: number, rate: number, seed: number) =>
      load(server?.url ?? '', seatList, sample, batchesByClient, codesById, {
        connections: own.connections,
        rate,
        seed,
        seconds,
      });
    if (own.warmup > 0) {
      log(`warm-up ${own.warmup} s`);
      await run(own.warmup, own.rate, options.seed);
    }
    server.resetRss();
    const rss = rssSampler();
    log(
      `measuring ${own.duration} s: ${own.connections} users${own.rate > 0 ? `, each at most ${own.rate} requests a second` : ' without pause'}`,
    );
    const result = await run(own.duration, own.rate, options.seed + 1);
    const measured = summary(result);
    let saturation: Record<string, unknown> | undefined;
    if (own.saturation > 0 && own.rate > 0) {
      log(`saturation ${own.saturation} s: ${own.connections} connections without pause`);
      const flat = summary(await run(own.saturation, 0, options.seed + 2));
      saturation = {
        seconds: flat.seconds,
        per_second: flat.per_second,
        p50_ms: flat.p50_ms,
        p95_ms: flat.p95_ms,
        p99_ms: flat.p99_ms,
        errors: flat.errors,
      };
    }
    const benchRss = rss.stop();
    const serverStats = await server.stop();
    server = null;
    for (const sample of result.errorSamples) log(`error: ${sample}`);
    const met =
      result.requests > 0 && measured.p95_ms < 50 && measured.errors === 0 && serverStats.rss_mb_max < 600;
    log(
      `${result.requests} requests in ${result.seconds} s: p50 ${measured.p50_ms} ms, p95 ${measured.p95_ms} ms, p99 ${measured.p99_ms} ms, ${measured.errors} errors; server RSS ${serverStats.rss_mb_max} MB; target ${met ? 'met' : 'NOT met'}`,
    );
    if (options.keep) {
      log(
        `kept database ${db.name}: run again with --reuse ${db.name} and HUIKUAN_DATA_KEY=${process.env.HUIKUAN_DATA_KEY}`,
      );
    }
    report({
      bench: 'api',
      size,
      seconds: measured.seconds,
      per_second: measured.per_second,
      rss_mb_max: serverStats.rss_mb_max,
      p50_ms: measured.p50_ms,
      p95_ms: measured.p95_ms,
      p99_ms: measured.p99_ms,
      errors: measured.errors,
      requests: result.requests,
      users: own.connections,
      user_rate: own.rate,
      roles,
      intended_404: result.intended404,
      timeouts: result.timeouts,
      search_misses: result.searchMisses,
      endpoints: measured.endpoints,
      saturation,
      bench_rss_mb_max: benchRss,
      target_met: met,
      server: db.embedded ? 'embedded' : 'DATABASE_URL',
    });
    return 0;
  } finally {
    if (server) await server.stop().catch(() => {});
    if (!options.keep && !own.reuse) await db.drop();
    else await db.close();
  }
}
