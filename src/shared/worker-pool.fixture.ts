/** A worker for worker-pool.test.ts: counts the requests it answered, refuses or fails on request. */
import { HuikuanError } from './errors.ts';
import { serveRequests } from './worker-serve.ts';

let answered = 0;

serveRequests<{ kind: 'count' | 'refuse' | 'fail' }, number>((request) => {
  if (request.kind === 'refuse') throw new HuikuanError('bad_input', 'refused on purpose');
  if (request.kind === 'fail') throw new Error('failed on purpose');
  answered++;
  return { result: answered };
});
