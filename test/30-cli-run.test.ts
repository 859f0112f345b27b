// hl-test: slow
// `hl run`, `hl inspect`, `hl doctor` as a user runs them: output and exit codes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { guest, hl, hlBin, simpleguest } from './helpers';

const G = simpleguest;

t.test('results of every type on stdout', async (t) => {
  const cases: [string, string[], string][] = [
    ['Echo', ['hello'], 'hello\n'],
    ['EchoI32', ['-42'], '-42\n'],
    ['EchoI32', ['0x7fffffff'], '2147483647\n'],
    ['EchoU32', ['4294967295'], '4294967295\n'],
    ['EchoI64', ['-9223372036854775808'], '-9223372036854775808\n'],
    ['EchoU64', ['18446744073709551615'], '18446744073709551615\n'],
    ['EchoU64', ['0xffffffffffffffff'], '18446744073709551615\n'],
    ['EchoFloat', ['1.1'], '1.1\n'],
    ['EchoDouble', ['3.141592653589793'], '3.141592653589793\n'],
    ['EchoBool', ['true'], 'true\n'],
    ['EchoBool', ['false'], 'false\n'],
    ['Add', ['2', '3'], '5\n'],
    ['SetStatic', ['7'], '7\n'],
    ['GetStatic', [], '0\n'],
    ['LogMessage', ['hi', '2'], ''],
    ['Malloc', ['65536'], '65536\n'],
  ];
  for (const [fn, args, out] of cases) {
    const r = hl(['run', G, '--fn', fn, ...args.flatMap((a) => ['--arg', a])]);
    t.equal(r.status, 0, `${fn} ${args.join(' ')} exits 0 (${r.stderr.trim()})`);
    t.equal(r.stdout, out, `${fn} ${args.join(' ')}`);
  }
});

t.test('PrintOutput prints through the host and returns the length', async (t) => {
  const r = hl(['run', G, '--fn', 'PrintOutput', '--arg', 'printed by the guest\n']);
  t.equal(r.status, 0);
  t.equal(r.stdout, 'printed by the guest\n21\n');
  const mid = hl(['run', G, '--fn', 'PrintOutput', '--arg', 'printed']);
  t.equal(mid.stdout, 'printed\n7\n', 'the result is on a line of its own after output without a newline');
  const json = hl(['run', G, '--fn', 'PrintOutput', '--arg', 'printed', '--json']);
  t.equal(JSON.parse(json.stdout).result, 7, '--json: stdout is the JSON line only');
  t.equal(json.stderr, 'printed');
});

t.test('--metrics-dump and --otlp without a value leave the guest path alone', async (t) => {
  const dump = hl(['run', '--metrics-dump', G, '--fn', 'Echo', '--arg', 'x']);
  t.equal(dump.status, 0, dump.stderr);
  t.equal(dump.stdout, 'x\n');
  t.match(dump.stderr, /^hyperlight_guest_error_count 0$/m, 'the dump went to stderr');
  const otlp = hl(['run', '--otlp', G, '--fn', 'Echo', '--arg', 'x'], { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } });
  t.equal(otlp.status, 0, otlp.stderr);
  t.equal(otlp.stdout, 'x\n');
});

t.test('bytes: from a file, from stdin, byte-exact to a pipe', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-cli-'));
  const data = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 255));
  const f = path.join(dir, 'data.bin');
  writeFileSync(f, data);
  const r1 = hl(['run', G, '--fn', 'EchoBytes', '--arg', `@${f}`]);
  t.equal(r1.status, 0);
  t.same(r1.raw, data, 'from @file');
  const r2 = hl(['run', G, '--fn', 'EchoBytes', '--arg', '-'], { input: data });
  t.equal(r2.status, 0);
  t.same(r2.raw, data, 'from stdin');
  const r3 = hl(['run', G, '--fn', 'EchoBytes', '--arg', '@/no/such/file']);
  t.equal(r3.status, 2);
  t.match(r3.stderr, /cannot read \/no\/such\/file: no such file/);
});

t.test('-- lets a string start with a dash; --arg takes dashes too', async (t) => {
  t.equal(hl(['run', G, '--fn', 'Echo', '--', '--not-a-flag']).stdout, '--not-a-flag\n');
  t.equal(hl(['run', G, '--fn', 'EchoI32', '--arg', '-5']).stdout, '-5\n');
});

t.test('--json', async (t) => {
  const r = hl(['run', G, '--fn', 'EchoU64', '--arg', '18446744073709551615', '--json']);
  t.equal(r.status, 0);
  const j = JSON.parse(r.stdout);
  t.equal(j.function, 'EchoU64');
  t.equal(j.type, 'uint64');
  t.equal(j.result, '18446744073709551615', '64-bit integers as strings');
  t.ok(j.durationUs > 0);
  const b = JSON.parse(hl(['run', G, '--fn', 'EchoBytes', '--arg', 'abc', '--json']).stdout);
  t.equal(Buffer.from(b.result, 'base64').toString(), 'abc');
  t.equal(JSON.parse(hl(['run', G, '--fn', 'LogMessage', '--arg', 'x', '--arg', '1', '--json']).stdout).result, null);
  // JSON has no NaN or infinities: strings, for float and double alike (null is void).
  for (const fn of ['EchoFloat', 'EchoDouble']) {
    t.same(['nan', 'inf', '-inf'].map((a) => JSON.parse(hl(['run', G, '--fn', fn, '--arg', a, '--json']).stdout).result), ['NaN', 'Infinity', '-Infinity'], fn);
  }
});

t.test('exit codes', async (t) => {
  const cases: [string, string[], number, RegExp][] = [
    ['usage: unknown flag', ['run', G, '--fn', 'Echo', '--argg', 'x'], 2, /unknown option '--argg'[\s\S]*--arg/],
    ['usage: missing --fn', ['run', G], 2, /--fn/],
    ['usage: unknown function', ['run', G, '--fn', 'Ech'], 2, /no function "Ech" \(did you mean "Echo"\?\)/],
    ['usage: too few arguments', ['run', G, '--fn', 'Add', '--arg', '1'], 2, /Add\(int32, int32\) -> int32 takes 2 arguments, got 1/],
    ['usage: too many arguments', ['run', G, '--fn', 'Echo', '--arg', 'a', '--arg', 'b'], 2, /takes 1 argument, got 2/],
    ['usage: not an integer', ['run', G, '--fn', 'EchoI32', '--arg', 'ten'], 2, /not an integer/],
    ['usage: int32 out of range', ['run', G, '--fn', 'EchoI32', '--arg', '2147483648'], 2, /out of range/],
    ['usage: uint32 negative', ['run', G, '--fn', 'EchoU32', '--arg', '-1'], 2, /out of range/],
    ['usage: uint64 too big', ['run', G, '--fn', 'EchoU64', '--arg', '18446744073709551616'], 2, /out of range/],
    ['usage: not a bool', ['run', G, '--fn', 'EchoBool', '--arg', 'yes'], 2, /not true or false/],
    ['usage: not a float', ['run', G, '--fn', 'EchoDouble', '--arg', '1.2.3'], 2, /not a number/],
    ['usage: bad size', ['run', G, '--fn', 'Echo', '--arg', 'x', '--heap-size', 'lots'], 2, /--heap-size: "lots" is not a size/],
    ['usage: size too small', ['run', G, '--fn', 'Echo', '--arg', 'x', '--heap-size', '1'], 2, /heapSize \(--heap-size\) must be between 4096 bytes and 512 MiB, got 1/],
    ['usage: bad OTLP endpoint', ['run', G, '--fn', 'Echo', '--arg', 'x', '--otlp=::::'], 2, /--otlp: "::::" is not an endpoint/],
    ['usage: bad log format', ['run', G, '--fn', 'Echo', '--arg', 'x', '--log-format', 'yaml'], 2, /Allowed choices are pretty, json/],
    ['usage: float out of range', ['run', G, '--fn', 'EchoFloat', '--arg', '1e39'], 2, /out of range/],
    ['usage: float underflow', ['run', G, '--fn', 'EchoFloat', '--arg', '1e-50'], 2, /too small/],
    ['usage: endless @file', ['run', G, '--fn', 'EchoBytes', '--arg', '@/dev/zero'], 2, /not a regular file/],
    ['usage: bad push URL', ['run', G, '--fn', 'Echo', '--arg', 'x', '--metrics-push', 'not-a-url'], 2, /is not an http\(s\) URL/],
    ['usage: no command', [], 2, /^Usage: hl/],
    ['image: a device', ['run', '/dev/zero', '--fn', 'Echo'], 66, /not a regular file/],
    ['inspect: spinning init', ['inspect', path.join(__dirname, '..', '..', 'test', 'guests', 'bin', 'spin_entry.bin'), '--timeout', '300ms'], 124, /timed out after 300 ms/],
    ['bench: spinning init', ['bench', path.join(__dirname, '..', '..', 'test', 'guests', 'bin', 'spin_entry.bin'), '--fn', 'X', '--timeout', '300ms'], 124, /timed out after 300 ms/],
    ['guest error', ['run', G, '--fn', 'GuestError', '--arg', '7', '--arg', 'nope'], 3, /returned error 7: nope/],
    ['missing image', ['run', '/no/such.bin', '--fn', 'Echo'], 66, /cannot read guest \/no\/such.bin: no such file/],
    ['not a guest', ['run', guest('notaguest'), '--fn', 'Echo'], 66, /not built with the hl guest SDK/],
    ['text file', ['run', path.join(__dirname, '..', '..', 'package.json'), '--fn', 'Echo'], 66, /not an ELF file/],
    ['timeout', ['run', G, '--fn', 'Spin', '--timeout', '200ms'], 124, /timed out after 200 ms/],
    ['crash: null', ['run', G, '--fn', 'ReadNull'], 134, /null pointer/],
    ['crash: unmapped', ['run', G, '--fn', 'WriteUnmapped'], 134, /outside its \d+-byte memory/],
    ['crash: stack', ['run', G, '--fn', 'StackOverflow', '--arg', '100000'], 134, /stack overflow.*raise stackSize, --stack-size on the CLI/],
    ['usage: argument larger than the input buffer', ['run', G, '--fn', 'Echo', '--arg', 'x'.repeat(5000), '--input-size', '4KiB'], 2, /does not fit in its 4096-byte buffer \(raise inputSize, --input-size on the CLI\)/],
    ['abort', ['run', G, '--fn', 'Abort', '--arg', '9'], 134, /aborted in Abort with code 9/],
    ['hostile output', ['run', guest('hostile'), '--fn', 'BadUtf8'], 134, /not valid UTF-8/],
  ];
  for (const [name, args, status, message] of cases) {
    const r = hl(args);
    t.equal(r.status, status, `${name}: exit ${status}`);
    t.match(r.stderr, message, name);
    t.equal(r.stdout, '', `${name}: nothing on stdout`);
    t.notMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
  }
});

t.test('a stack trace only at debug level', async (t) => {
  const r = hl(['run', G, '--fn', 'ReadNull'], { env: { HL_LOG: 'debug' } });
  t.equal(r.status, 134);
  t.match(r.stderr, /\n\s+at /);
});

t.test('a larger heap via --heap-size with units', async (t) => {
  const small = hl(['run', G, '--fn', 'Malloc', '--arg', '3000000']);
  t.equal(small.status, 3, 'the default 1 MiB heap is too small');
  t.match(small.stderr, /out of memory \(the guest heap is full: raise heapSize, --heap-size on the CLI\)/, 'the error names the flag');
  const r = hl(['run', G, '--fn', 'Malloc', '--arg', '3000000', '--heap-size', '4MiB']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '3000000\n');
});

t.test('hl inspect', async (t) => {
  const r = hl(['inspect', G]);
  t.equal(r.status, 0);
  t.match(r.stdout, /^Echo\(string\) -> string$/m);
  t.match(r.stdout, /^Add\(int32, int32\) -> int32$/m);
  t.match(r.stdout, /^GetStatic\(\) -> int32$/m);
  const j = JSON.parse(hl(['inspect', G, '--json']).stdout);
  t.same(j.functions.find((f: { name: string }) => f.name === 'LogMessage'), { name: 'LogMessage', returns: 'void', params: ['string', 'int32'] });
  t.ok(j.memory.total > j.memory.heap);
  t.equal(hl(['inspect', guest('notaguest')]).status, 66);
});

t.test('hl doctor', async (t) => {
  const r = hl(['doctor']);
  t.equal(r.status, 0);
  t.match(r.stdout, /ok\s+\/dev\/kvm/);
  t.match(r.stdout, /hl can run sandboxes/);
  const j = JSON.parse(hl(['doctor', '--json']).stdout);
  t.equal(j.ok, true);
});

t.test('help shows examples; --version', async (t) => {
  for (const cmd of ['run', 'inspect', 'doctor']) {
    const r = hl([cmd, '--help']);
    t.equal(r.status, 0);
    t.match(r.stdout, /Example/, `${cmd} --help has examples`);
  }
  t.match(hl(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
  t.equal(hl(['frobnicate']).status, 2);
});

t.test('guest text cannot act on the terminal or forge lines', async (t) => {
  const r = hl(['run', G, '--fn', 'GuestError', '--arg', '5', '--arg', '\u001b[2J\nhl: warning: all good']);
  t.equal(r.status, 3);
  t.equal(r.stderr, 'hl: error: guest function GuestError returned error 5: \\x1b[2J\\nhl: warning: all good\n', 'one line, escapes shown');
});

t.test('standard input beyond the input buffer is refused, not read forever', async (t) => {
  const r = hl(['run', G, '--fn', 'EchoBytes', '--arg', '-'], { input: Buffer.alloc(200_000) });
  t.equal(r.status, 2);
  t.match(r.stderr, /more than 65536 bytes .*--input-size/);
});

t.test('a failed write of the result is one line, exit 1', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { openSync } = await import('node:fs');
  const r = spawnSync(process.execPath, [hlBin, 'run', G, '--fn', 'Echo', '--arg', 'x'], { stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'], encoding: 'utf8' });
  t.equal(r.status, 1);
  t.equal(r.stderr, 'hl: error: cannot write the output: ENOSPC\n');
});

t.test('HostPrint keeps --json output pure', async (t) => {
  const r = hl(['run', G, '--fn', 'PrintOutput', '--arg', 'side text', '--json']);
  t.equal(r.status, 0);
  t.equal(JSON.parse(r.stdout).result, 9, 'stdout is one JSON line');
  t.equal(r.stderr, 'side text');
});
