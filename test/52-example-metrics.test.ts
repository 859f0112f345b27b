// examples/metrics runs and prints what it says.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import t from 'tap';
import { root } from './helpers';

t.test('examples/metrics', async (t) => {
  const r = spawnSync(process.execPath, [path.join(root, 'dist/examples/metrics/index.js')], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^guest error 1001 \(quota exceeded\): 1$/m);
  t.match(r.stdout, /^hyperlight_number_of_cancelled_guest_execution 1$/m);
  t.match(r.stdout, /^hyperlight_guest_function_call_duration_microseconds_count\{function_name="Add"\} 10$/m);
  t.match(r.stderr, /expected: .*quota exceeded/);
});
