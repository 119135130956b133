import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor } from '../../../test/cli.ts';
import { testDatabase } from '../../../test/db.ts';
import { postPayments } from '../../ledger/payments.ts';
import { createClient, placeAccounts } from '../../ledger/test-fixtures.ts';
import { bankPayment } from './test-model.ts';

const t = await testDatabase();
const huikuan = cliFor(t);
const dir = mkdtempSync(path.join(tmpdir(), 'huikuan-risk-platform-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t.drop();
});

const accounts = 240;

beforeAll(async () => {
  const { clientId } = await createClient(t.db, 'RISKC');
  // days past due on 2025-03-31 from 31 to 270; the less overdue pay more often after the date
  const ids = await placeAccounts(
    t.db,
    clientId,
    Array.from({ length: accounts }, (_, k) => ({
      ref: `C${k}`,
      principal: 10_000n + BigInt(k) * 100n,
      delinquencyDate: new Date(Date.UTC(2025, 2, 31) - (31 + k) * 86_400_000).toISOString().slice(0, 10),
    })),
    { effectiveDate: '2025-01-01' },
  );
  const pays = ids.filter((_, k) => (k < accounts / 2 ? k % 4 !== 0 : k % 4 === 0));
  await postPayments(
    t.db,
    pays.map((accountId, k) => bankPayment(clientId, accountId, `after-${k}`, 40_000n, '2025-04-15')),
    'tester',
  );
});

describe('huikuan model (inside the platform)', () => {
  it('builds features, trains on them, registers, approves with a second user, promotes and monitors', async () => {
    const features = path.join(dir, 'features.csv');
    const built = await huikuan([
      'model',
      'features',
      '--as-of',
      '2025-03-31',
      '--outcome-days',
      '30',
      '--out',
      features,
      '--json',
    ]);
    expect(built.code).toBe(0);
    expect(built.json()).toMatchObject({ rows: accounts, paid: accounts / 2, as_of: '2025-03-31' });
    const csv = readFileSync(features, 'utf8').split('\n');
    expect(csv[0]?.startsWith('account_id,principal_minor,')).toBe(true);
    expect(csv[0]?.endsWith(',paid')).toBe(true);

    const modelFile = path.join(dir, 'model.json');
    const trained = await huikuan([
      'model',
      'train',
      '--data',
      features,
      '--target',
      'paid',
      '--positive',
      '0',
      '--exclude',
      'account_id',
      '--out',
      modelFile,
      '--json',
    ]);
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);

    const registered = await huikuan([
      'model',
      'register',
      '--model',
      modelFile,
      '--name',
      'cli',
      '--outcome-days',
      '30',
      '--user',
      'ana',
      '--json',
    ]);
    expect(registered.code).toBe(0);
    const id = String(registered.json().id);
    expect(registered.json()).toMatchObject({ status: 'proposed', version: 1, proposed_by: 'ana' });
    const self = await huikuan(['model', 'approve', id, '--user', 'ana']);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('cannot approve it too');
    expect((await huikuan(['model', 'approve', id, '--user', 'bo', '--json'])).json()).toMatchObject({
      status: 'approved',
    });
    expect((await huikuan(['model', 'promote', id, '--user', 'bo', '--json'])).json()).toMatchObject({
      model: { status: 'champion' },
      retired: null,
    });
    const listed = await huikuan(['model', 'list', '--status', 'champion', '--json']);
    expect(listed.json().map((m: { id: number }) => String(m.id))).toEqual([id]);
    const monitored = await huikuan(['model', 'monitor', '--month', '2025-03', '--json']);
    expect(monitored.code).toBe(0);
    expect(monitored.json()).toEqual([expect.objectContaining({ month: '2025-03', accounts: 0, auc: null })]);
  });

  it('shows and sets the watch rules', async () => {
    const set = await huikuan([
      'model',
      'watch-rules',
      '--rule',
      'score_drop',
      '--threshold',
      '30',
      '--json',
    ]);
    expect(set.code).toBe(0);
    expect(set.json()).toContainEqual(
      expect.objectContaining({ code: 'score_drop', threshold: 30, active: true }),
    );
    expect(set.json()).toContainEqual(expect.objectContaining({ code: 'complaint', active: false }));
    const bad = await huikuan(['model', 'watch-rules', '--rule', 'complaints', '--enable']);
    expect(bad.code).toBe(2);
  });
});
