// npm pack yields a package that installs globally and runs from anywhere,
// with no tests, benches or build leftovers in it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { root } from './helpers';

t.test('npm pack, npm install -g into a temporary prefix, run', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-pack-'));
  const tgz = execFileSync('npm', ['pack', '--pack-destination', dir, '--ignore-scripts'], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!;
  const file = path.join(dir, tgz);
  const listing = execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).split('\n');
  t.ok(listing.includes('package/dist/src/cli/index.js'), 'compiled CLI');
  t.ok(listing.includes('package/guests/sdk/include/hl/hl_abi.h'), 'guest SDK');
  t.ok(listing.includes('package/guests/simpleguest/simpleguest.c'), 'sample guest source');
  t.same(listing.filter((f) => /^package\/(test|dist\/test|dist\/bench|src|build|guests\/bin|guests\/hostile|node_modules)\//.test(f) || f.endsWith('.map')), [], 'no tests, sources of the build, benches or leftovers');
  const prefix = path.join(dir, 'prefix');
  const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, file], { encoding: 'utf8', timeout: 300_000 });
  t.equal(install.status, 0, install.stderr);
  const hl = path.join(prefix, 'bin', 'hl');
  const guests = execFileSync(hl, ['guests-path'], { cwd: dir, encoding: 'utf8' }).trim();
  const run = spawnSync(hl, ['run', path.join(guests, 'simpleguest.bin'), '--fn', 'Echo', '--arg', 'hi'], { cwd: dir, encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stdout, 'hi\n');
  const sdk = execFileSync(hl, ['guests-path', '--sdk'], { cwd: dir, encoding: 'utf8' }).trim();
  t.ok(sdk.endsWith(path.join('guests', 'sdk')));
});
