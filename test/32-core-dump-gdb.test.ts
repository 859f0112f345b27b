// Core dumps of real guest failures on the real addon and KVM, opened by
// Debian's real gdb: a fault, an abort and a stack overflow each leave a core
// whose backtrace names the guest's functions and source lines, and the
// error names the file (src/sandbox/core-dump.ts, --core-dump).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { HlError, Sandbox } from '../src/sandbox';
import { hl, simpleguest } from './helpers';

const freshDir = () => mkdtempSync(path.join(tmpdir(), 'hl-cores-'));

function gdb(core: string, ...commands: string[]) {
  const args = ['-batch', '-nx', '-iex', 'set auto-load off', ...commands.flatMap((c) => ['-ex', c]), simpleguest, core];
  return spawnSync('gdb', args, { encoding: 'utf8', timeout: 120_000 });
}

async function failWithCore(fn: string, args: unknown[]): Promise<{ err: HlError; core: string; dir: string; memSize: number }> {
  const dir = freshDir();
  const sb = await Sandbox.create(simpleguest, { coreDumpDir: dir });
  try {
    await sb.call(fn, args);
    throw new Error(`${fn} did not fail`);
  } catch (err) {
    if (!(err instanceof HlError)) throw err;
    return { err, core: String(err.details.coreDump), dir, memSize: sb.layout.memSize };
  } finally {
    sb.dispose();
  }
}

t.test('a null-pointer fault: the core opens in gdb at the faulting line', async (t) => {
  const { err, core, dir, memSize } = await failWithCore('ReadNull', []);
  t.equal(err.code, 'GUEST_FAULT');
  t.match(err.message, new RegExp(`\\(core dump: ${dir}/hl-core-simpleguest-\\d+-\\d{8}T\\d{6}-\\d+\\.core\\)$`), 'the error names the file');
  t.ok(existsSync(core), core);
  t.ok(statSync(core).size <= memSize, `the core (${statSync(core).size} bytes) is no bigger than guest memory (${memSize})`);
  const r = gdb(core, 'bt', 'info registers rip');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /Program terminated with signal SIGSEGV/);
  t.match(r.stdout, /#0 +read_null \(c=[^)]*\) at simpleguest\/simpleguest\.c:\d+/, r.stdout);
  t.match(r.stdout, /#1 +0x[0-9a-f]+ in hl_dispatch_c /, 'its caller, unwound from the guest stack in the core');
  t.match(r.stdout, new RegExp(`rip +${String(err.details.rip)} `), 'RIP is the faulting instruction, not the host stub');
});

t.test('an abort and a stack overflow leave cores with the guest frames', async (t) => {
  const abort = await failWithCore('Abort', [7]);
  t.equal(abort.err.code, 'GUEST_ABORTED');
  const a = gdb(abort.core, 'bt');
  t.match(a.stdout, /Program terminated with signal SIGABRT/);
  t.match(a.stdout, /do_abort .* at simpleguest\/simpleguest\.c:\d+/, a.stdout);
  const overflow = await failWithCore('StackOverflow', [100000]);
  t.equal(overflow.err.details.kind, 'stack_overflow');
  const o = gdb(overflow.core, 'bt 3');
  t.match(o.stdout, /#0 +0x[0-9a-f]+ in recurse |#0 +recurse /, o.stdout);
});

t.test('no folder, no core; coreDump() writes one on demand and never overwrites', async (t) => {
  const sb = await Sandbox.create(simpleguest);
  t.teardown(() => sb.dispose());
  const err = (await sb.call('ReadNull').catch((e: unknown) => e)) as HlError;
  t.equal(err.details.coreDump, undefined);
  t.notMatch(err.message, /core dump/);
  sb.restore();
  t.equal(await sb.call('Echo', ['still fine']), 'still fine');
  const file = path.join(freshDir(), 'now.core');
  t.equal(sb.coreDump(file), file);
  const r = gdb(file, 'info registers rip');
  t.equal(r.status, 0, r.stderr);
  t.throws(() => sb.coreDump(file), { code: 'USAGE', message: /cannot write the core dump .*now\.core: EEXIST/ });
});

t.test('hl run --core-dump DIR and HL_CORE_DUMP_DIR', async (t) => {
  const dir = freshDir();
  const r = hl(['run', simpleguest, '--fn', 'ReadNull', '--core-dump', dir]);
  t.equal(r.status, 134, r.stderr);
  t.match(r.stderr, /^hl: error: .*\(core dump: .*hl-core-simpleguest-.*\.core\)\n$/, 'one line, naming the file');
  t.equal(readdirSync(dir).length, 1);
  const envDir = freshDir();
  const e = hl(['run', simpleguest, '--fn', 'Abort', '--arg', '3'], { env: { HL_CORE_DUMP_DIR: envDir } });
  t.match(e.stderr, /core dump: /);
  t.equal(readdirSync(envDir).length, 1);
  const ok = hl(['run', simpleguest, '--fn', 'Echo', '--arg', 'x', '--core-dump', dir]);
  t.equal(ok.status, 0);
  t.equal(readdirSync(dir).length, 1, 'a run that succeeds writes nothing');
});
