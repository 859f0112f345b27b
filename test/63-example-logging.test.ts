// examples/logging runs, filters by RUST_LOG and logs through the embedder's logger.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import t from 'tap';
import { root } from './helpers';

function run(rustLog: string) {
  const r = spawnSync(process.execPath, [path.join(root, 'dist/examples/logging/index.js')], { encoding: 'utf8', env: { ...process.env, RUST_LOG: rustLog, HL_LOG: '' } });
  return { status: r.status, records: r.stdout.trim().split('\n').map((l) => JSON.parse(l)), stderr: r.stderr };
}

t.test('examples/logging', async (t) => {
  const info = run('info');
  t.equal(info.status, 0, info.stderr);
  const guest = info.records.filter((r) => r.target === 'hyperlight_guest');
  t.same(guest.map((r) => r.msg), [
    'a level 2 message from the guest',
    'a level 3 message from the guest',
    'a level 4 message from the guest',
    'a level 5 message from the guest',
    'this error record is logged',
  ]);
  t.ok(guest.every((r) => r.app === 'logging-example'), 'through the embedder\'s logger');
  const trace = run('warn,hyperlight_guest=trace').records.filter((r) => r.target === 'hyperlight_guest');
  t.equal(trace.length, 7, 'all six levels, then the error after the change');
});
