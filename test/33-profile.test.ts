// The sampling profiler on the real addon and KVM: a profile of the sample
// guest's Spin names `spin`, from the library and from `hl run --profile`,
// and the guest is not changed by it.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { GuestProfile, Sandbox } from '../src/sandbox';
import { hangGuard, hl, simpleguest } from './helpers';

// hl run's --timeout counts start-up too, which takes seconds under emulation.
const runFor = `${hangGuard(1500)}ms`;

t.test('library: a profile of Spin names spin', async (t) => {
  const sb = await Sandbox.create(simpleguest);
  t.teardown(() => sb.dispose());
  const profile = new GuestProfile({ hz: 997 });
  await t.rejects(sb.call('Spin', [], { timeoutMs: 1500, profile }), { code: 'CANCELLED' });
  t.ok(profile.samples > 0, `${profile.samples} samples`);
  t.match(profile.folded(), /(^|;)spin \d+$/m, profile.folded());
  t.match(profile.svg(), /<title>spin \(\d+ samples/);
  sb.restore();
  const quiet = new GuestProfile({ hz: 997 });
  t.equal(await sb.call('EchoI32', [5], { profile: quiet }), 5, 'a profiled call returns its result');
  t.equal(await sb.call('Echo', ['after']), 'after', 'and calls after it are unaffected');
});

t.test('hl run --profile FILE.svg / FILE.folded, even when the call times out', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-profile-'));
  const svg = path.join(dir, 'spin.svg');
  const r = hl(['run', simpleguest, '--fn', 'Spin', '--timeout', runFor, '--profile', svg]);
  t.equal(r.status, 124, r.stderr);
  t.match(r.stderr, new RegExp(`hl: profile of \\d+ samples at 997 Hz written to ${svg}`));
  t.ok(existsSync(svg));
  const text = readFileSync(svg, 'utf8');
  t.match(text, /^<\?xml/);
  t.match(text, /<title>spin \(\d+ samples/);
  const folded = path.join(dir, 'spin.folded');
  const f = hl(['run', simpleguest, '--fn', 'Spin', '--timeout', runFor, '--profile', folded, '--profile-hz', '500', '--quiet']);
  t.equal(f.status, 124);
  t.equal(f.stderr.includes('profile of'), false, '--quiet: no line about the profile');
  t.match(readFileSync(folded, 'utf8'), /^(\S+;)*spin \d+$/m);
});
