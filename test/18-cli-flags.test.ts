// hl-test: no-kvm
// Flags as a new user types them, checked without a guest: optional values
// that must not swallow the guest path, durations that need a unit, sizes
// that say what is wrong (src/cli/optional-values.ts, src/cli/units.ts).
import t from 'tap';
import { bindOptionalValues } from '../src/cli/optional-values';
import { parseDuration, parseSize } from '../src/cli/units';
import { kvmAccessFix } from '../src/sandbox/diagnose';
import { hl } from './helpers';

t.test('an optional value is taken only when it is one', async (t) => {
  const argv = (...a: string[]) => ['node', 'hl', 'run', ...a];
  t.same(bindOptionalValues(argv('--metrics-dump', 'g.bin', '--fn', 'F')), argv('--metrics-dump=\0', 'g.bin', '--fn', 'F'), '--metrics-dump never takes the next word');
  t.same(bindOptionalValues(argv('--metrics-dump=out.prom', 'g.bin')), argv('--metrics-dump=out.prom', 'g.bin'));
  t.same(bindOptionalValues(argv('--otlp', 'g.bin')), argv('--otlp=\0', 'g.bin'), '--otlp before the guest path');
  t.same(bindOptionalValues(argv('g.bin', '--otlp', 'localhost:4317')), argv('g.bin', '--otlp', 'localhost:4317'), 'an endpoint is its value');
  t.same(bindOptionalValues(argv('g.bin', '--otlp', 'https://c.example:4317')), argv('g.bin', '--otlp', 'https://c.example:4317'));
  t.same(bindOptionalValues(argv('g.bin', '--otlp', '--fn', 'F')), argv('g.bin', '--otlp=\0', '--fn', 'F'));
  t.same(bindOptionalValues(argv('g.bin', '--otlp')), argv('g.bin', '--otlp=\0'), 'last word');
  t.same(bindOptionalValues(argv('g.bin', '--', '--otlp', 'x')), argv('g.bin', '--', '--otlp', 'x'), 'after -- words are arguments');
});

t.test('hl run: the guest path survives a bare --metrics-dump or --otlp', async (t) => {
  for (const flag of ['--metrics-dump', '--otlp']) {
    const r = hl(['run', flag, '/nonexistent/guest.bin', '--fn', 'Echo']);
    t.equal(r.status, 66, `${flag}: the guest is read (exit 66), not "missing required argument"`);
    t.match(r.stderr, /cannot read guest \/nonexistent\/guest\.bin: no such file/);
  }
});

t.test('durations need a unit and say their range', async (t) => {
  t.equal(parseDuration('500ms', '--timeout'), 500);
  t.equal(parseDuration('2s', '--timeout'), 2000);
  t.equal(parseDuration('1.5m', '--timeout'), 90_000);
  t.equal(parseDuration('1h', '--timeout'), 3_600_000);
  t.throws(() => parseDuration('500', '--timeout'), { code: 'USAGE', message: '--timeout: "500" needs a unit: 500ms, 500s, 500m or 500h' });
  t.throws(() => parseDuration('0', '--timeout'), { code: 'USAGE', message: /--timeout: "0" is out of range: from 1ms to 596h/ });
  t.throws(() => parseDuration('0s', '--timeout'), { message: /out of range: from 1ms/ });
  t.throws(() => parseDuration('1000h', '--timeout'), { message: /out of range: from 1ms to 596h/ });
  t.throws(() => parseDuration('soon', '--timeout'), { message: /"soon" is not a duration \(examples: 500ms, 2s, 1m, 1h\)/ });
  const r = hl(['run', '/nonexistent.bin', '--fn', 'Echo', '--timeout', '500']);
  t.equal(r.status, 2);
  t.equal(r.stderr, 'hl: error: --timeout: "500" needs a unit: 500ms, 500s, 500m or 500h\n', 'one line naming the flag');
});

t.test('sizes: every unit up to TiB; too big and zero are said as such', async (t) => {
  t.equal(parseSize('64KiB', '--heap-size'), 65536);
  t.equal(parseSize('1TiB', '--heap-size'), 1024 ** 4, 'a size; the layout then says it is too big, naming the flag');
  t.throws(() => parseSize('0', '--heap-size'), { message: '--heap-size: "0" is not more than 0 bytes' });
  t.throws(() => parseSize('99999999999TiB', '--heap-size'), { message: '--heap-size: "99999999999TiB" is too big' });
  t.throws(() => parseSize('lots', '--heap-size'), { message: /"lots" is not a size/ });
});

t.test('usage errors are one line each', async (t) => {
  const cases: [string[], string][] = [
    [['help', 'frob'], "hl: error: unknown command 'frob' (hl --help lists the commands)\n"],
    [['inspec', 'x'], "hl: error: unknown command 'inspec' (did you mean inspect?)\n"],
    [['run', '/nonexistent.bin', '--fn', 'Echo', '--otlp=ftp://x'], 'hl: error: --otlp: "ftp://x" is not an http:// or https:// endpoint\n'],
  ];
  for (const [args, stderr] of cases) {
    const r = hl(args);
    t.equal(r.status, 2, args.join(' '));
    t.equal(r.stderr, stderr, args.join(' '));
    t.equal(r.stdout, '');
  }
  t.equal(hl(['help', 'run']).status, 0, 'help for a real command is not an error');
});

t.test('hl doctor says what really fixes /dev/kvm access', async (t) => {
  const groups = new Map([[0, 'root'], [108, 'kvm']]);
  t.match(kvmAccessFix({ gid: 0, mode: 0o600 }, { gids: [], name: 'u' }, groups), /only by root \(mode 600\): give the kvm group access \(sudo chown root:kvm \/dev\/kvm && sudo chmod 660/, 'root:root 0600: joining a group alone would not help');
  t.match(kvmAccessFix({ gid: 108, mode: 0o600 }, { gids: [108], name: 'u' }, groups), /give the kvm group access/, 'a group without rw is no fix either');
  t.equal(kvmAccessFix({ gid: 108, mode: 0o660 }, { gids: [], name: 'u' }, groups), 'join group kvm (sudo usermod -aG kvm "$USER") and log in again');
  t.match(kvmAccessFix({ gid: 108, mode: 0o660 }, { gids: [108], name: 'u' }, groups), /in group kvm but this session is not: log in again \(or run "newgrp kvm"\)/);
  // This machine, as it is: its finding names a fix whatever the cause.
  const r = hl(['doctor', '--json']);
  const findings = JSON.parse(r.stdout).findings as { ok: boolean; fix?: string }[];
  t.ok(findings.every((f) => f.ok || (f.fix ?? '').length > 0), 'every failed check has a fix');
});

t.test('--arg - refuses a closed or /dev/null standard input, reads a pipe', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const mod = JSON.stringify(require.resolve('../src/cli/read-bounded'));
  const script = `try { const b = require(${mod}).readBounded(0, 8, 'argument 1 of Echo'); process.stdout.write('read ' + b.length); } catch (e) { process.stdout.write(e.code + ': ' + e.message); }`;
  const cases: Array<[string, string]> = [['/dev/null', script], ['closed', `require('fs').closeSync(0); ${script}`]];
  for (const [what, code] of cases) {
    const r = spawnSync(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    t.match(r.stdout, /^USAGE: argument 1 of Echo: standard input is closed or \/dev\/null, so "-" reads nothing; for empty bytes pass --arg ''$/, what);
  }
  const piped = spawnSync(process.execPath, ['-e', script], { input: 'abc', encoding: 'utf8' });
  t.equal(piped.stdout, 'read 3', 'a pipe is read');
  const big = spawnSync(process.execPath, ['-e', script], { input: 'x'.repeat(9), encoding: 'utf8' });
  t.match(big.stdout, /^USAGE: argument 1 of Echo: more than 8 bytes .*--input-size/, 'and bounded');
});

t.test('debugging flags are checked before anything runs', async (t) => {
  const gdb = hl(['run', '/nonexistent/guest.bin', '--fn', 'Echo', '--gdb', 'abc']);
  t.equal(gdb.status, 2);
  t.match(gdb.stderr, /^hl: error: --gdb: "abc" is not \[host:\]port/);
  const profile = hl(['run', '/nonexistent/guest.bin', '--fn', 'Echo', '--profile', 'out.png']);
  t.equal(profile.status, 2);
  t.match(profile.stderr, /--profile: "out\.png" must end in \.svg \(a flame graph\) or \.folded/);
  const hz = hl(['run', '/nonexistent/guest.bin', '--fn', 'Echo', '--profile', 'p.svg', '--profile-hz', '0']);
  t.equal(hz.status, 2);
});
