// hl-test: no-kvm
// The --metrics-dump=FILE writer (src/cli/output-file.ts) on its own, no guest
// and no KVM: the kernel follows the path (fs.protected_symlinks, `..` after a
// symlink), only a FIFO, a terminal or /dev/null is written through, the
// replaced file's setuid/setgid/sticky bits are not copied, and a pipe whose
// reader never reads costs the deadline instead of blocking hl. The tests run
// as root (as test/53 does), which is who the symlink attack is aimed at.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { writeOutput } from '../src/cli/output-file';

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'hl-out-'));
const NOBODY = 65534;
const writerModule = path.join(__dirname, '..', 'src', 'cli', 'output-file.js');

function mknod(t: Test, file: string, major: number, minor: number): void {
  const made = spawnSync('mknod', ['-m', '666', file, 'c', String(major), String(minor)], { encoding: 'utf8' });
  t.equal(made.status, 0, `mknod (the tests run as root): ${made.stderr}`);
}

t.test('a symlink another user made in a sticky shared folder is not followed: the root-owned file it points at stays', async (t) => {
  // /tmp as an attacker sees it: sticky, world-writable, owned by root; the
  // link is nobody's. fs.protected_symlinks=1 makes the kernel refuse to
  // follow it; hl refuses the last name itself too, so this holds (and fails
  // on 0.1.0) on a machine where that setting is 0.
  const shared = tempDir();
  chmodSync(shared, 0o1777);
  const victimDir = tempDir();
  const victim = path.join(victimDir, 'shadow');
  writeFileSync(victim, 'root:secret\n', { mode: 0o640 });
  const before = statSync(victim);
  const link = path.join(shared, 'm.prom');
  symlinkSync(victim, link);
  lchownSync(link, NOBODY, NOBODY);
  t.comment(`fs.protected_symlinks=${readFileSync('/proc/sys/fs/protected_symlinks', 'utf8').trim()}`);
  await t.rejects(writeOutput(link, 'metrics\n'), { name: 'OutputError', code: 'EACCES', target: link });
  t.equal(readFileSync(victim, 'utf8'), 'root:secret\n', 'the file the link points at is untouched');
  t.equal(statSync(victim).ino, before.ino, 'and not replaced');
  t.same(readdirSync(victimDir), ['shadow'], 'no temporary file beside it');
  t.ok(lstatSync(link).isSymbolicLink(), 'the link stays');
  t.same(readdirSync(shared), ['m.prom']);

  // The caller's own link in the same folder is followed, and its target replaced.
  const own = path.join(shared, 'own.prom');
  symlinkSync(victim, own);
  await writeOutput(own, 'metrics\n');
  t.equal(readFileSync(victim, 'utf8'), 'metrics\n', 'one\'s own link is followed');
  t.equal(statSync(victim).mode & 0o777, 0o640);
  t.equal(readlinkSync(own), victim, 'and stays a link');
});

t.test('a character device other than /dev/null or a terminal is refused, directly or through a symlink', async (t) => {
  const dir = tempDir();
  const zero = path.join(dir, 'zero'); // like /dev/zero (1:5): private, the machine's own is never touched
  mknod(t, zero, 1, 5);
  const link = path.join(dir, 'm.prom');
  symlinkSync('zero', link);
  for (const target of [zero, link]) {
    await t.rejects(writeOutput(target, 'metrics\n'), { name: 'OutputError', code: 'EDEVICE', reason: /character device \(1:5\)/ }, target);
  }
  t.ok(lstatSync(zero).isCharacterDevice(), 'the device node stays');
  t.ok(lstatSync(link).isSymbolicLink(), 'the link stays');
  t.same(readdirSync(dir).sort(), ['m.prom', 'zero'], 'no temporary file');

  const nul = path.join(dir, 'null'); // like /dev/null (1:3): written through, never replaced
  mknod(t, nul, 1, 3);
  const ino = statSync(nul).ino;
  await writeOutput(nul, 'metrics\n');
  t.ok(lstatSync(nul).isCharacterDevice() && lstatSync(nul).ino === ino, '/dev/null stays the same node');
});

t.test('`..` in a link target is resolved by the kernel, from where the link really is', async (t) => {
  // dir/a -> b/c, and b/c/link -> ../x.prom: dir/a/link is dir/b/x.prom, not
  // dir/x.prom (what resolving the text "dir/a/../x.prom" gives).
  const dir = tempDir();
  mkdirSync(path.join(dir, 'b', 'c'), { recursive: true });
  symlinkSync('b/c', path.join(dir, 'a'));
  symlinkSync('../x.prom', path.join(dir, 'b', 'c', 'link'));
  writeFileSync(path.join(dir, 'b', 'x.prom'), 'old\n');
  await writeOutput(path.join(dir, 'a', 'link'), 'metrics\n');
  t.equal(readFileSync(path.join(dir, 'b', 'x.prom'), 'utf8'), 'metrics\n', 'the file the kernel reaches is replaced');
  t.same(readdirSync(dir).sort(), ['a', 'b'], 'nothing created at the textual dir/x.prom');
  t.same(readdirSync(path.join(dir, 'b')).sort(), ['c', 'x.prom'], 'no temporary file left');
});

t.test('the replaced file keeps its permission bits but never setuid, setgid or sticky', async (t) => {
  const dir = tempDir();
  for (const mode of [0o4755, 0o2750, 0o1644, 0o6777]) {
    const file = path.join(dir, `m-${mode.toString(8)}.prom`);
    writeFileSync(file, 'old\n');
    chmodSync(file, mode);
    t.equal(statSync(file).mode & 0o7777, mode, `made ${mode.toString(8)}`);
    await writeOutput(file, 'metrics\n');
    t.equal(readFileSync(file, 'utf8'), 'metrics\n');
    t.equal(statSync(file).mode & 0o7777, mode & 0o777, `${mode.toString(8)} becomes ${(mode & 0o777).toString(8)}`);
  }
});

// A child whose stdout is a real pipe (bash's process substitution) to a
// reader that never reads: 1 MiB does not fit the 64 KiB pipe. The child gets
// a 0.5 s deadline; the hang guard kills it at 20 s (a blocking write of the
// old writer never returned: the deadline timer could not fire).
function stalledPipe(target: string): Promise<{ status: number | null; stderr: string }> {
  const script = `require(${JSON.stringify(writerModule)}).writeOutput(process.argv[1], 'x'.repeat(1 << 20), Date.now() + 500).then(
    () => process.stderr.write('written\\n'),
    (e) => { process.stderr.write(e.code + ': ' + e.message + '\\n'); process.exitCode = 3; });`;
  // tap puts its loader into every child's NODE_OPTIONS (even when removed
  // from env); it opens process.stdout, which makes the pipe non-blocking
  // and hid the bug: unset in the shell itself.
  const cmd = `unset NODE_OPTIONS; exec ${JSON.stringify(process.execPath)} -e "$1" ${JSON.stringify(target)} > >(exec sleep 25 2>/dev/null)`;
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', cmd, 'bash', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (status) => {
      clearTimeout(guard);
      resolve({ status, stderr });
    });
  });
}

for (const target of ['/dev/stdout', '/proc/self/fd/1']) {
  t.test(`${target} on a pipe nobody reads: an error at the deadline, not a blocked hl`, async (t) => {
    const r = await stalledPipe(target);
    t.equal(r.status, 3, `ended on its own with the error (not killed by the guard): ${r.stderr}`);
    t.match(r.stderr, `EAGAIN: cannot write ${target}: the reader did not take it all`);
  });
}
