// Soak: 10,000 create/call/dispose cycles and 10,000 calls with restore in one
// process keep RSS and the fd count flat. Each runs in a plain Node process
// (test/soak-driver.ts). Bounded: ~20 s on 2 cores; `npm run soak` runs longer.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import t from 'tap';
import { rounds } from './helpers';

const MiB = 1024 * 1024;
const driver = path.join(__dirname, 'soak-driver.js');

function soak(mode: string, n: number) {
  const r = spawnSync(process.execPath, ['--expose-gc', driver, mode, String(n)], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`soak ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

t.test('10,000 create/call/dispose cycles', async (t) => {
  const r = soak('cycles', rounds(10_000));
  t.equal(r.wrong, 0, 'every call returned its argument');
  t.equal(r.after.fds, r.before.fds, 'fd count flat');
  const warm = (r.middle.rss - r.before.rss) / MiB;
  const grown = (r.after.rss - r.middle.rss) / MiB;
  t.ok(warm < 48, `first 5,000 cycles: RSS +${warm.toFixed(1)} MiB while allocators warm up (bound 48)`);
  t.ok(grown < 6, `second 5,000 cycles: RSS +${grown.toFixed(1)} MiB (bound 6)`);
});

t.test('10,000 calls with restore', async (t) => {
  const r = soak('restores', rounds(10_000));
  t.equal(r.wrong, 0);
  t.equal(r.staticAfter, 0, 'restore returned to the state after init');
  t.equal(r.after.fds, r.before.fds, 'fd count flat');
  const grown = (r.after.rss - r.middle.rss) / MiB;
  t.ok(grown < 4, `second 5,000 rounds: RSS +${grown.toFixed(1)} MiB (bound 4)`);
});
