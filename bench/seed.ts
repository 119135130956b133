/**
 * Placed accounts in bulk for the benchmarks (and large tests), set-based: an approved batch, its
 * debtors and accounts drawn in a few INSERT … SELECT statements with skewed balances (seeded, so
 * deterministic), then the ledger's own placement entries. Not timed by the benchmarks.
 *
 * With `debtors` the debtors are what a real import leaves: Chinese (and some English) names, PRC ID
 * numbers and mobile numbers encrypted with the data key and searchable through their keyed hashes
 * (src/accounts/pii.ts, sealed in a worker thread and loaded with `COPY`), masked copies, phone and
 * e-mail contact points, a `placed` event per account, and delinquencies spread over the buckets.
 */
import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { maskIdNumber, maskPhone, type PiiCipher } from '../src/accounts/pii.ts';
import type { Database } from '../src/db/schema.ts';
import { postPlacementEntries } from '../src/ledger/placement.ts';
import { mobileNumber, personName, placementRef, prcIdCheckDigit, Random } from './generate.ts';

export interface RealisticDebtors {
  /** For the `COPY` of the generated debtors. */
  pool: pg.Pool;
  cipher: PiiCipher;
  /** The business date delinquencies count back from ('YYYY-MM-DD'). */
  today: string;
}

export interface SeedOptions {
  clientId: bigint;
  count: number;
  seed?: number;
  refPrefix?: string;
  currency?: string;
  /** Index of the batch's first account: references continue across a client's batches (default 0). */
  firstIndex?: number;
  batchName?: string;
  /** Realistic debtors with encrypted, hashed PII and contact points (default: plain `Debtor i`). */
  debtors?: RealisticDebtors;
  /** ANALYZE the tables afterwards (default true; a caller seeding many batches does it once). */
  analyze?: boolean;
}

export async function seedPlacedAccounts(
  db: Kysely<Database>,
  options: SeedOptions,
): Promise<{ batchId: bigint; refs: string[] }> {
  const prefix = options.refPrefix ?? 'CC';
  const first = options.firstIndex ?? 0;
  const realistic = options.debtors;
  if (realistic) await loadDebtors(realistic, options.count, first, options.seed ?? 42);
  const batchId = await db.transaction().execute(async (trx) => {
    const batch = await trx
      .insertInto('placement_batches')
      .values({
        client_id: options.clientId,
        name: options.batchName ?? 'bench seed',
        status: 'approved',
        file_name: 'seed.csv',
        file_sha256: `seed-${Date.now()}-${Math.random()}`,
        file_format: 'csv',
        file_encoding: null,
        recall_date: null,
        proposed_by: 'bench-importer',
        decided_by: 'bench-approver',
        decided_at: new Date(),
        reject_reason: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`SET LOCAL jit = off`.execute(trx);
    await sql`SET LOCAL work_mem = '256MB'`.execute(trx);
    // setseed makes random() repeatable within this transaction's session
    await sql`SELECT setseed(${((options.seed ?? 42) % 1000) / 1000})`.execute(trx);
    // realistic delinquencies: four in ten within the six monthly buckets, the rest older
    const delinquency = realistic
      ? sql`${realistic.today}::date - CASE WHEN random() < 0.4 THEN 1 + (random() * 179)::int
                                          ELSE 181 + (random() * 1200)::int END`
      : sql`date '2022-01-01' + (random() * 1400)::int`;
    await sql`
      CREATE TEMP TABLE bench_seed ON COMMIT DROP AS
      SELECT i,
             nextval(pg_get_serial_sequence('debtors', 'id')) AS debtor_id,
             nextval(pg_get_serial_sequence('accounts', 'id')) AS account_id,
             greatest(10000, round(exp(ln(1200000) + 1.1 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::int8 AS p,
             0::int8 AS i_, 0::int8 AS f, 0::int8 AS n,
             ${delinquency} AS delinquency_date
        FROM generate_series(${first + 1}::int, ${first + options.count}::int) AS i`.execute(trx);
    await sql`
      UPDATE bench_seed SET i_ = (p * random() * 0.25)::int8,
                            f = CASE WHEN random() < 0.6 THEN (random() * 30000)::int8 ELSE 0 END,
                            n = CASE WHEN random() < 0.4 THEN (p * random() * 0.08)::int8 ELSE 0 END`.execute(
      trx,
    );
    if (realistic) {
      await sql`
        INSERT INTO debtors (id, client_id, name, id_number_enc, id_number_hash, id_number_masked, date_of_birth,
                             address, city, region, country)
        OVERRIDING SYSTEM VALUE
        SELECT s.debtor_id, ${options.clientId}, p.name, p.id_enc, p.id_hash, p.id_masked, p.dob,
               p.address, p.city, p.region, 'CN'
          FROM bench_seed s JOIN bench_seed_debtors p USING (i) ORDER BY s.debtor_id`.execute(trx);
      await sql`
        INSERT INTO contact_points (client_id, debtor_id, kind, position, value_enc, value_hash, value_masked, value_text)
        SELECT ${options.clientId}, s.debtor_id, v.kind, v.position, v.enc, v.hash, v.masked, v.value_text
          FROM bench_seed s JOIN bench_seed_debtors p USING (i)
         CROSS JOIN LATERAL (VALUES
           ('phone', 1, p.phone1_enc, p.phone1_hash, p.phone1_masked, NULL::text),
           ('phone', 2, p.phone2_enc, p.phone2_hash, p.phone2_masked, NULL::text),
           ('email', 1, NULL::bytea, NULL::bytea, left(p.email, 1) || '***' || substring(p.email FROM position('@' IN p.email)), p.email)
         ) AS v(kind, position, enc, hash, masked, value_text)
         WHERE v.hash IS NOT NULL OR v.value_text IS NOT NULL
         ORDER BY s.debtor_id`.execute(trx);
    } else {
      await sql`
        INSERT INTO debtors (id, client_id, name)
        OVERRIDING SYSTEM VALUE
        SELECT debtor_id, ${options.clientId}, 'Debtor ' || i FROM bench_seed ORDER BY debtor_id`.execute(
        trx,
      );
    }
    const productType = realistic
      ? sql`(ARRAY['credit_card', 'credit_card', 'credit_card', 'personal_loan', 'personal_loan', 'auto_loan',
                   'telecom', 'utility'])[1 + (random() * 7)::int]`
      : sql`NULL`;
    await sql`
      INSERT INTO accounts (id, client_id, batch_id, debtor_id, client_account_ref, currency, product_type,
                            delinquency_date, placed_principal_minor, placed_interest_minor, placed_fees_minor,
                            placed_penalty_minor, principal_minor, interest_minor, fees_minor, penalty_minor)
      OVERRIDING SYSTEM VALUE
      SELECT account_id, ${options.clientId}, ${batch.id}, debtor_id,
             ${prefix} || lpad(i::text, 9, '0'), ${options.currency ?? 'CNY'}, ${productType}, delinquency_date,
             p, i_, f, n, p, i_, f, n
        FROM bench_seed ORDER BY account_id`.execute(trx);
    if (realistic) {
      await sql`
        INSERT INTO account_events (client_id, account_id, kind, from_status, to_status, reason, actor)
        SELECT ${options.clientId}, account_id, 'placed', NULL, 'active', ${`batch ${batch.id} approved`},
               'bench-approver'
          FROM bench_seed ORDER BY account_id`.execute(trx);
    }
    await postPlacementEntries(trx, {
      batchId: batch.id,
      actor: 'bench-approver',
      effectiveDate: '2025-12-01',
    });
    return batch.id;
  });
  if (realistic) await realistic.pool.query('DROP TABLE IF EXISTS bench_seed_debtors');
  if (options.analyze !== false) {
    await sql`ANALYZE accounts`.execute(db);
    await sql`ANALYZE journal_entries`.execute(db);
  }
  const refs = Array.from({ length: options.count }, (_, i) => placementRef(first + i, prefix));
  return { batchId, refs };
}

// ------------------------------------------------------------------ realistic debtors

/** Division codes of PRC ID numbers with their city and province. */
const places = [
  ['110105', '北京市', '北京'],
  ['310115', '上海市', '上海'],
  ['440106', '广州市', '广东'],
  ['440305', '深圳市', '广东'],
  ['330106', '杭州市', '浙江'],
  ['320102', '南京市', '江苏'],
  ['510107', '成都市', '四川'],
  ['420106', '武汉市', '湖北'],
  ['610113', '西安市', '陕西'],
  ['500103', '重庆市', '重庆'],
  ['370202', '青岛市', '山东'],
  ['350203', '厦门市', '福建'],
] as const;
const roads = ['人民路', '解放路', '中山路', '建设路', '和平路', '长江路', '新华路'];
const mailHosts = ['qq.com', '163.com', '126.com', 'gmail.com'];
const rowsPerChunk = 5000;

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

interface DebtorRow {
  i: number;
  name: string;
  id: string | null;
  dob: string;
  phones: string[];
  email: string | null;
  place: (typeof places)[number];
  road: string;
  house: number;
}

/** One generated debtor; row `i` always gives the same debtor for a seed. */
function debtorRow(random: Random, i: number): DebtorRow {
  const place = random.pick(places);
  const year = random.int(1958, 2003);
  const dob = `${year}-${two(random.int(1, 12))}-${two(random.int(1, 28))}`;
  const first17 = `${place[0]}${dob.replaceAll('-', '')}${String(random.int(0, 999)).padStart(3, '0')}`;
  const phones = [`+86${mobileNumber(random)}`];
  if (random.chance(0.35)) phones.push(`+86${mobileNumber(random)}`);
  return {
    i,
    name: personName(random),
    id: random.chance(0.95) ? first17 + prcIdCheckDigit(first17) : null,
    dob,
    phones,
    email: random.chance(0.3) ? `user${random.int(1000, 9_999_999)}@${random.pick(mailHosts)}` : null,
    place,
    road: random.pick(roads),
    house: random.int(1, 999),
  };
}

/** Rows of `COPY bench_seed_debtors` text format for a chunk; `sealed` is sealHex of its PII, in order. */
function copyText(rows: DebtorRow[], sealed: string[]): string {
  let next = 0;
  const pair = () => `\\\\x${sealed[next++]}\t\\\\x${sealed[next++]}`;
  let out = '';
  for (const row of rows) {
    const id = row.id === null ? '\\N\t\\N\t\\N' : `${pair()}\t${maskIdNumber(row.id)}`;
    const phone1 = `${pair()}\t${maskPhone(row.phones[0] as string)}`;
    const phone2 = row.phones[1] === undefined ? '\\N\t\\N\t\\N' : `${pair()}\t${maskPhone(row.phones[1])}`;
    out +=
      `${row.i}\t${row.name}\t${id}\t${row.dob}\t${phone1}\t${phone2}\t${row.email ?? '\\N'}` +
      `\t${row.place[1]}${row.road}${row.house}号\t${row.place[1]}\t${row.place[2]}\n`;
  }
  return out;
}

/**
 * Generates `count` debtors (rows first+1 … first+count) and loads them into the plain table
 * bench_seed_debtors: the ID and phone numbers sealed (AES-256-GCM and HMAC, as an import seals
 * them) in a worker thread while the next chunk is generated.
 */
async function loadDebtors(
  options: RealisticDebtors,
  count: number,
  first: number,
  seed: number,
): Promise<void> {
  const client = await options.pool.connect();
  const worker = options.cipher.startWorker();
  try {
    await client.query(`DROP TABLE IF EXISTS bench_seed_debtors;
      CREATE UNLOGGED TABLE bench_seed_debtors (
        i int PRIMARY KEY, name text, id_enc bytea, id_hash bytea, id_masked text, dob date,
        phone1_enc bytea, phone1_hash bytea, phone1_masked text, phone2_enc bytea, phone2_hash bytea,
        phone2_masked text, email text, address text, city text, region text)`);
    const random = new Random(seed * 7919 + first);
    const stream = client.query(copyFrom('COPY bench_seed_debtors FROM STDIN'));
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    const chunk = (start: number) => {
      const rows: DebtorRow[] = [];
      const values: string[] = [];
      for (let i = start; i < Math.min(start + rowsPerChunk, count); i++) {
        const row = debtorRow(random, first + i + 1);
        rows.push(row);
        if (row.id !== null) values.push(row.id);
        values.push(...row.phones);
      }
      return { rows, sealing: worker.sealHex(values) };
    };
    let pending = chunk(0);
    for (let start = 0; start < count; start += rowsPerChunk) {
      // the next chunk is drawn while the worker seals this one
      const following = start + rowsPerChunk < count ? chunk(start + rowsPerChunk) : null;
      const text = copyText(pending.rows, await pending.sealing);
      if (!stream.write(text)) await new Promise((resolve) => stream.once('drain', resolve));
      if (following) pending = following;
    }
    stream.end();
    await done;
  } finally {
    await worker.close();
    client.release();
  }
}

const noteTexts = [
  '已电话联系本人，承诺月底前还款',
  '电话无人接听，已发短信提醒',
  '本人称已还款，待核实',
  '联系到家属，转告还款事宜',
  '号码空号，需补充联系方式',
  '协商分期，待主管审批',
  'Debtor asked for a settlement offer',
  '本人拒绝沟通',
];

/** Agents' notes on a share of the accounts (one to three each, over the last two months). */
export async function seedNotes(
  db: Kysely<Database>,
  options: { share: number; seed?: number },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL jit = off`.execute(trx);
    await sql`SELECT setseed(${((options.seed ?? 42) % 997) / 997})`.execute(trx);
    const texts = `{${noteTexts.map((t) => `"${t}"`).join(',')}}`;
    const result = await sql`
      INSERT INTO account_notes (client_id, account_id, body, author, created_at)
      SELECT a.client_id, a.id, (${texts}::text[])[1 + floor(random() * ${noteTexts.length})::int],
             'agent.' || (1 + floor(random() * 3)::int) || '.' || (1 + floor(random() * 8)::int),
             now() - random() * interval '60 days'
        FROM (SELECT id, client_id FROM accounts WHERE random() < ${options.share}) a
       -- a.id keeps the series per account (one to three notes), not drawn once for all
       CROSS JOIN LATERAL generate_series(1, 1 + floor(random() * 3)::int + 0 * a.id::int) AS n
       ORDER BY a.id`.execute(trx);
    return Number(result.numAffectedRows ?? 0n);
  });
}
