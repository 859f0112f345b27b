// The gdb remote stub on the real addon and KVM, driven by Debian's real gdb:
// a breakpoint in the sample guest's add stops there with the source line,
// stepping and registers work, continue finishes the call with its result;
// Ctrl-C in gdb stops a spinning guest;
// a fault is shown to gdb, then fails the call; the host's own pages stay out
// of reach (src/sandbox/gdb-stub.ts, debug-call.ts).
import { spawn } from 'node:child_process';
import t from 'tap';
import { type GdbOptions, Sandbox } from '../src/sandbox';
import { gdbInteractive } from './gdb-client';
import { hangGuard, hlBin, root, simpleguest } from './helpers';

function gdbBatch(port: number, commands: string[]): Promise<{ stdout: string; stderr: string; status: number | null }> {
  const args = ['-batch', '-nx', '-iex', 'set auto-load off', '-ex', `target remote 127.0.0.1:${port}`, ...commands.flatMap((c) => ['-ex', c]), simpleguest];
  return new Promise((resolve) => {
    const child = spawn('gdb', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ stdout, stderr, status }));
  });
}

/** Calls `fn` under gdb running `commands`; both results. */
async function underGdb(fn: string, args: unknown[], commands: string[]) {
  const sb = await Sandbox.create(simpleguest, { hostFunctions: [{ name: 'HostAdd', params: ['int32', 'int32'], returns: 'int32', fn: (a: number, b: number) => a + b }] });
  let session: ReturnType<typeof gdbBatch> | undefined;
  const gdb: GdbOptions = { port: 0, onListening: (a) => (session = gdbBatch(a.port, commands)) };
  const result = await sb.call(fn, args, { gdb }).then(
    (value) => ({ value, error: undefined }),
    (error: Error & { code?: string }) => ({ value: undefined, error }),
  );
  const out = await session!;
  return { sb, result, out };
}

t.test('break add, continue: stops in add at its line; continue finishes the call', async (t) => {
  const { sb, result, out } = await underGdb('Add', [2, 3], ['break add', 'continue', 'bt', 'info registers rip', 'continue']);
  t.teardown(() => sb.dispose());
  t.equal(result.value, 5, `the call returned its result ${result.error ?? ''} ${JSON.stringify((result.error as { details?: unknown })?.details ?? {})}`);
  t.match(out.stdout, /Breakpoint 1, add \(c=[^)]*\) at simpleguest\/simpleguest\.c:\d+/, out.stdout + out.stderr);
  t.match(out.stdout, /#1 +0x[0-9a-f]+ in hl_dispatch_c /);
  t.match(out.stdout, /rip +0x[0-9a-f]+ +0x[0-9a-f]+ <add(\+\d+)?>/);
  t.match(out.stdout, /\[Inferior 1 \(.*\) exited normally\]/);
  t.equal(await sb.call('Echo', ['after gdb']), 'after gdb', 'the sandbox goes on without the debugger');
});

t.test('stepping, registers and memory; the host pages are out of reach', async (t) => {
  const { sb, result, out } = await underGdb('EchoI32', [41], ['stepi', 'stepi', 'info registers rip', 'x/4xb $pc', 'x/4xw 0x3000', 'x/2xg 0x10000', 'set var $rax = 7', 'continue']);
  t.teardown(() => sb.dispose());
  t.equal(result.value, 41, `the call still returns its argument ${result.error ?? ''}`);
  t.match(out.stdout + out.stderr, /Cannot access memory at address 0x3000/, 'the IDT and stubs page is not the debugger\'s');
  t.match(out.stdout + out.stderr, /Cannot access memory at address 0x10000/, 'nor the page tables');
  t.match(out.stdout, /0x[0-9a-f]+ <hl_dispatch_entry\+\d+>|0x[0-9a-f]+ <[a-z_]+(\+\d+)?>:\s+0x/, 'stepping moved the PC inside guest code');
  t.match(out.stdout, /exited normally/);
});

t.test('a fault under gdb: gdb sees SIGSEGV at the line, then the call fails with it', async (t) => {
  const { sb, result, out } = await underGdb('ReadNull', [], ['continue', 'bt 1', 'continue']);
  t.teardown(() => sb.dispose());
  t.equal(result.error?.code, 'GUEST_FAULT');
  t.match(out.stdout, /Program received signal SIGSEGV/);
  t.match(out.stdout, /#0 +read_null \(c=[^)]*\) at simpleguest\/simpleguest\.c:\d+/);
  t.match(out.stdout, /Program terminated with signal SIGSEGV/);
});

t.test("Ctrl-C in gdb stops a spinning guest where it is; kill ends the call", async (t) => {
  const sb = await Sandbox.create(simpleguest);
  t.teardown(() => sb.dispose());
  let listening!: (session: ReturnType<typeof gdbInteractive>) => void;
  const started = new Promise<ReturnType<typeof gdbInteractive>>((resolve) => (listening = resolve));
  const gdb: GdbOptions = { port: 0, onListening: (a) => listening(gdbInteractive(a.port, ['break spin', 'continue', 'delete', 'continue', 'bt 1', 'info registers rip', 'kill'])) };
  const result = sb.call('Spin', [], { gdb }).then(
    () => undefined,
    (error: Error & { code?: string }) => error,
  );
  // Spin never returns by itself: only the interrupt can stop it. The
  // breakpoint makes sure it is spinning (a Ctrl-C at once would stop the
  // guest at its entry, which is right, but not what this test looks at).
  const session = await started;
  await session.seen(/Breakpoint 1, spin[\s\S]*Continuing\./);
  session.ctrlC();
  const out = await session.done;
  const error = await result;
  t.match(out, /Program received signal SIGINT/, out);
  t.match(out, /#0 +spin \(c=[^)]*\) at simpleguest\/simpleguest\.c:\d+/);
  t.match(out, /rip +0x[0-9a-f]+ +0x[0-9a-f]+ <spin(\+\d+)?>/);
  t.equal(error?.code, 'CANCELLED', `gdb's kill cancels the call: ${error?.message}`);
  await sb.restore();
  t.equal(await sb.call('Echo', ['after the interrupt']), 'after the interrupt', 'and a later call runs with no pause left over');
});

t.test('Ctrl-C while the guest waits on a host function: it stops after the call returns, and the host function ran once', async (t) => {
  let session: ReturnType<typeof gdbInteractive> | undefined;
  let hostCalls = 0;
  const sb = await Sandbox.create(simpleguest, {
    hostFunctions: [
      {
        name: 'HostAdd', params: ['int32', 'int32'], returns: 'int32',
        fn: async (a: number, b: number) => {
          hostCalls++;
          session!.ctrlC(); // the guest is not running: its `out` is served here
          await new Promise((r) => setTimeout(r, hangGuard(300)));
          return a + b;
        },
      },
    ],
  });
  t.teardown(() => sb.dispose());
  const gdb: GdbOptions = { port: 0, onListening: (a) => (session = gdbInteractive(a.port, ['continue', 'info registers rip', 'continue'])) };
  const result = await sb.call('Add', [2, 3], { gdb }).catch((e: Error) => e);
  const out = await session!.done;
  t.equal(result, 5, `the call returned its result: ${out}`);
  t.equal(hostCalls, 1, 'the host function ran once (the guest did not repeat its request)');
  t.match(out, /Program received signal SIGINT/);
  t.match(out, /exited normally/);
});

t.test('hl run --gdb 0: says where to attach, and prints the result after gdb continues', async (t) => {
  const child = spawn(process.execPath, [hlBin, 'run', simpleguest, '--fn', 'Echo', '--arg', 'debugged', '--gdb', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const port = await new Promise<number>((resolve) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /hl: waiting for gdb on 127\.0\.0\.1:(\d+): gdb -ex 'target remote 127\.0\.0\.1:\d+' /.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    void closed.then(() => resolve(0));
  });
  t.not(port, 0, `hl said where to attach: ${stderr}`);
  if (port === 0) return;
  const out = await gdbBatch(port, ['break echo', 'continue', 'continue']);
  const status = await closed;
  t.equal(status, 0, stderr);
  t.equal(stdout, 'debugged\n');
  t.match(out.stdout, /Breakpoint 1, echo /);
});
