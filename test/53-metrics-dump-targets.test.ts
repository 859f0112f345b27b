// --metrics-dump=FILE never clobbers what is not a regular file: a symlink
// stays (its target is replaced atomically), a device node, a FIFO and
// /proc/self/fd/N are written straight through, and a failed write is an
// error naming the path the user gave (exit 74 after a run that succeeded).
// The dump is written whatever the run's outcome, so each check compares the
// exit status with the same run's without a dump.
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { hl, hlAsync, simpleguest } from './helpers';

const run = ['run', simpleguest, '--fn', 'Echo', '--arg', 'x'];
const METRICS = /^# HELP hyperlight_guest_error_count /m;
const baseline = hl(run).status; // 0 on a machine with KVM
const tempDir = () => mkdtempSync(path.join(tmpdir(), 'hl-dump-'));

t.test('through a symlink: the target is replaced atomically, the symlink stays', async (t) => {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'real'));
  const target = path.join(dir, 'real', 'hl.prom');
  writeFileSync(target, 'old\n', { mode: 0o640 });
  symlinkSync('real/hl.prom', path.join(dir, 'link.prom'));
  const r = hl([...run, `--metrics-dump=${path.join(dir, 'link.prom')}`]);
  t.equal(r.status, baseline, r.stderr);
  t.notMatch(r.stderr, /cannot write/);
  t.ok(lstatSync(path.join(dir, 'link.prom')).isSymbolicLink(), 'still a symlink');
  t.equal(readlinkSync(path.join(dir, 'link.prom')), 'real/hl.prom', 'pointing where it did');
  t.match(readFileSync(target, 'utf8'), METRICS, 'its target holds the metrics');
  t.equal(statSync(target).mode & 0o777, 0o640, 'with the old file\'s permissions');
  t.same(readdirSync(dir).sort(), ['link.prom', 'real']);
  t.same(readdirSync(path.join(dir, 'real')), ['hl.prom'], 'no temporary file left behind');
});

t.test('a character device is written through, never replaced', async (t) => {
  const dir = tempDir();
  const dev = path.join(dir, 'null');
  // A private copy of /dev/null (char 1:3): the machine's own is never touched.
  const made = spawnSync('mknod', ['-m', '666', dev, 'c', '1', '3'], { encoding: 'utf8' });
  t.equal(made.status, 0, `mknod (the tests run as root): ${made.stderr}`);
  const before = statSync(dev);
  const r = hl([...run, `--metrics-dump=${dev}`]);
  t.equal(r.status, baseline, r.stderr);
  t.notMatch(r.stderr, /cannot write/);
  const after = lstatSync(dev);
  t.ok(after.isCharacterDevice(), 'still a character device');
  t.equal(after.rdev, before.rdev, 'the same device');
  t.equal(after.ino, before.ino, 'the same node, not a new one');
  t.same(readdirSync(dir), ['null'], 'no temporary file left behind');
});

t.test('a FIFO with a reader receives the dump and stays a FIFO', async (t) => {
  const dir = tempDir();
  const fifo = path.join(dir, 'metrics.fifo');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  let got = '';
  reader.stdout.on('data', (d) => (got += d));
  const read = new Promise((resolve) => reader.on('close', resolve));
  const r = await hlAsync([...run, `--metrics-dump=${fifo}`], {}, 20_000);
  if (reader.exitCode === null) setTimeout(() => reader.kill(), 5000).unref(); // a reader that never got an end
  await read;
  t.equal(r.status, baseline, r.stderr);
  t.match(got, METRICS, 'the reader got the metrics');
  t.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
  t.same(readdirSync(dir), ['metrics.fifo'], 'no temporary file left behind');
});

t.test('a FIFO nobody reads: an error naming it, not a hang', async (t) => {
  const dir = tempDir();
  const fifo = path.join(dir, 'metrics.fifo');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const r = await hlAsync([...run, `--metrics-dump=${fifo}`], {}, 20_000); // killed at 20 s: a hang fails
  t.not(r.status, null, 'hl ended on its own');
  t.equal(r.status, baseline === 0 ? 74 : baseline);
  t.match(r.stderr, `hl: error: cannot write metrics to ${fifo}: no reader`);
  t.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
});

t.test('/proc/self/fd/2 and /dev/stdout are hl\'s own descriptors', async (t) => {
  const err = hl([...run, '--metrics-dump=/proc/self/fd/2']);
  t.equal(err.status, baseline);
  t.match(err.stderr, METRICS, 'the dump on stderr');
  t.notMatch(err.stderr, /cannot write/);
  const out = hl([...run, '--metrics-dump=/dev/stdout']);
  t.equal(out.status, baseline);
  t.match(out.stdout, METRICS, 'the dump on stdout');
});

t.test('a failed write: one error line naming the path given, non-zero exit, nothing left behind', async (t) => {
  const dir = tempDir();
  const missing = path.join(dir, 'no', 'such', 'hl.prom');
  const r = hl([...run, `--metrics-dump=${missing}`]);
  t.equal(r.status, baseline === 0 ? 74 : baseline, 'EX_IOERR after a run that succeeded; else the run\'s own status');
  t.match(r.stderr, `hl: error: cannot write metrics to ${missing}: no such folder\n`);
  t.notMatch(r.stderr, /\.tmp/, 'no temporary name in the message');
  const folder = path.join(dir, 'a-folder');
  mkdirSync(folder);
  const d = hl([...run, `--metrics-dump=${folder}`]);
  t.equal(d.status, baseline === 0 ? 74 : baseline);
  t.match(d.stderr, `hl: error: cannot write metrics to ${folder}: it is a folder\n`);
  t.same(readdirSync(dir), ['a-folder'], 'no temporary file left behind');
  t.same(readdirSync(folder), [], 'nothing written into the folder');
});
