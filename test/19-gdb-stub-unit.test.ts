// hl-test: no-kvm
// The gdb stub's protocol against Debian's real gdb, without KVM: the target
// is the sample guest's own segments in a buffer, and the test plays the VM
// (it reports the breakpoint exit a real run would). src/sandbox/gdb-stub.ts.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { GuestRegisters } from '../src/native';
import { GdbStub } from '../src/sandbox/gdb-stub';
import { parseGuestImage } from '../src/sandbox/elf';
import { gdbInteractive } from './gdb-client';
import { simpleguest } from './helpers';

const image = parseGuestImage(readFileSync(simpleguest));
const symbol = (name: string) => parseInt(spawnSync('nm', [simpleguest], { encoding: 'utf8' }).stdout.split('\n').find((l) => l.endsWith(` ${name}`))!.split(' ')[0], 16);

function fakeTarget() {
  const mem = new Map<number, number>();
  for (const s of image.segments) for (let i = 0; i < s.data.length; i++) mem.set(s.vaddr + i, s.data[i]);
  const stack = 0x400000;
  const zero = 0n;
  let regs: GuestRegisters = { rax: zero, rbx: zero, rcx: zero, rdx: zero, rsi: zero, rdi: 0x2000n, rbp: zero, rsp: BigInt(stack + 0x800), r8: zero, r9: zero, r10: zero, r11: zero, r12: zero, r13: zero, r14: zero, r15: zero, rip: BigInt(image.dispatch), rflags: 2n, cs: 0x1bn, ss: 0x23n, ds: 0x23n, es: 0x23n, fs: 0x23n, gs: 0x23n, fsBase: zero, gsBase: zero };
  const sets: GuestRegisters[] = [];
  const interrupts: number[] = [];
  const inMemory = (a: number, n: number) => (a >= 0x200000 && a + n <= 0x210000) || (a >= stack && a + n <= stack + 0x1000);
  return {
    sets,
    interrupts,
    mem,
    setNow: (r: Partial<GuestRegisters>) => (regs = { ...regs, ...r }),
    target: {
      registers: () => ({ ...regs }),
      setRegisters: (r: GuestRegisters) => sets.push({ ...r }),
      read: (a: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => mem.get(a + i) ?? 0)),
      write: (a: number, d: Uint8Array) => d.forEach((b, i) => mem.set(a + i, b)),
      inMemory,
      interrupt: () => interrupts.push(Date.now()),
    },
  };
}

function gdb(port: number, commands: string[]) {
  const args = ['-batch', '-nx', '-iex', 'set auto-load off', '-ex', `target remote 127.0.0.1:${port}`, ...commands.flatMap((c) => ['-ex', c]), simpleguest];
  const child = spawn('gdb', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise<string>((resolve) => child.on('close', () => resolve(out)));
}

t.test('gdb attaches, sets a breakpoint, continues, stops at it, finishes', async (t) => {
  const f = fakeTarget();
  const stub = await GdbStub.listen(f.target, '127.0.0.1', 0);
  const session = gdb(stub.address().port, ['info registers rip', 'break add', 'continue', 'x/1xb add', 'info registers rip', 'continue']);
  await stub.start(f.target.registers());
  t.equal(f.sets.length, 1, 'continue set the registers once');
  const add = symbol('add');
  t.equal(f.mem.get(add), 0xcc, 'the breakpoint is an int3 in guest memory while the guest runs');
  t.equal(f.sets[0].rflags & 0x100n, 0n, 'no trap flag on continue');
  // The VM meets the int3: #GP with error code 0x1a (IDT entry 3), RIP at it.
  f.setNow({ rip: BigInt(add), rsp: BigInt(0x400000 + 0x7f8) });
  const resumed = await stub.stopped(13, 0x1a, 11);
  t.equal(resumed, true, 'a breakpoint, not a fault');
  t.not(f.mem.get(add), 0xcc, 'taken out while stopped');
  t.equal(f.sets.at(-1)!.rflags & 0x100n, 0x100n, 'continuing from a breakpoint steps over it first');
  t.equal(f.mem.get(add), image.segments[0].data[add - image.segments[0].vaddr], 'with the original byte under RIP');
  f.setNow({ rip: BigInt(add + 1) });
  t.equal(await stub.stopped(1, -1, 5), true, 'the step over the breakpoint');
  t.equal(f.sets.at(-1)!.rflags & 0x100n, 0n, 'then runs on without the trap flag');
  t.equal(f.mem.get(add), 0xcc, 'and with the breakpoint back');
  stub.finish(0);
  t.equal(f.mem.get(add), image.segments[0].data[add - image.segments[0].vaddr], 'no int3 after the call');
  const out = await session;
  t.match(out, /rip +0x[0-9a-f]+ +0x[0-9a-f]+ <hl_dispatch_entry>/, out);
  t.match(out, /Breakpoint 1 at 0x[0-9a-f]+: file simpleguest\/simpleguest\.c, line \d+/);
  t.match(out, /Breakpoint 1, add \(c=/);
  t.match(out, /<add>:\s+0x[0-9a-f]{2}/);
  t.notMatch(out, /<add>:\s+0xcc/, 'gdb reads the real code, not the int3');
  t.match(out, /exited normally/);
});

t.test('memory outside the guest regions is refused; a fault reaches gdb as its signal', async (t) => {
  const f = fakeTarget();
  const stub = await GdbStub.listen(f.target, '127.0.0.1', 0);
  const session = gdb(stub.address().port, ['x/1xg 0x3000', 'set {char}0x10000 = 1', 'continue', 'continue']);
  await stub.start(f.target.registers());
  f.setNow({ rip: BigInt(symbol('read_null')) });
  t.equal(await stub.stopped(14, 4, 11), false, 'a real fault: the call fails after gdb saw it');
  stub.finish(undefined, 11);
  const out = await session;
  t.match(out, /Cannot access memory at address 0x3000/);
  t.match(out, /Cannot access memory at address 0x10000/);
  t.match(out, /Program received signal SIGSEGV/);
  t.match(out, /Program terminated with signal SIGSEGV/);
});

t.test('garbage from the peer does not hang or crash the stub', async (t) => {
  const f = fakeTarget();
  const stub = await GdbStub.listen(f.target, '127.0.0.1', 0);
  const net = await import('node:net');
  const sock = net.connect(stub.address().port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const started = stub.start(f.target.registers());
  sock.write('junk$m200000,ffffffff#00$M0,1:zz#00$Gzz#00$p999#00' + 'x'.repeat(40000));
  const replies: string[] = [];
  sock.on('data', (d) => replies.push(d.toString()));
  await new Promise((r) => sock.once('close', r));
  await started; // the peer went away: the call runs on, detached
  t.ok(stub.detached, 'a peer that floods without packet ends is dropped');
  t.equal(f.sets.length, 1, 'and the guest resumes with its registers');
});

t.test('a breakpoint reported just past the int3 stops at the int3', async (t) => {
  const f = fakeTarget();
  const stub = await GdbStub.listen(f.target, '127.0.0.1', 0);
  const session = gdb(stub.address().port, ['break add', 'continue', 'info registers rip', 'continue']);
  await stub.start(f.target.registers());
  const add = symbol('add');
  f.setNow({ rip: BigInt(add + 1) }); // as QEMU's nested SVM reports it
  t.equal(await stub.stopped(13, 0x1a, 11), true);
  t.equal(f.sets.at(-1)!.rip, BigInt(add), 'the guest resumes at the breakpoint address');
  f.setNow({ rip: BigInt(add + 1) });
  t.equal(await stub.stopped(1, -1, 5), true, 'the step over it');
  stub.finish(0);
  const out = await session;
  t.match(out, /Breakpoint 1, add \(c=/);
  t.match(out, /rip +0x[0-9a-f]+ +0x[0-9a-f]+ <add>/);
});

t.test("gdb's Ctrl-C while the guest runs: the stub interrupts the VM, gdb sees SIGINT where the guest was", async (t) => {
  const f = fakeTarget();
  const stub = await GdbStub.listen(f.target, '127.0.0.1', 0);
  const session = gdbInteractive(stub.address().port, ['continue', 'info registers rip', 'continue']);
  await stub.start(f.target.registers());
  t.equal(f.sets.length, 1, 'gdb continued');
  await session.seen(/Continuing\./);
  session.ctrlC();
  // The VM plays a guest that spins until interrupted.
  while (f.interrupts.length === 0) await new Promise((r) => setTimeout(r, 10));
  f.setNow({ rip: BigInt(symbol('spin')) });
  t.equal(await stub.interrupted(), true, 'the guest may go on after the interrupt');
  t.equal(f.interrupts.length, 1, 'one interrupt asked of the VM');
  t.equal(f.sets.at(-1)!.rip, BigInt(symbol('spin')), 'and resumes where it was stopped');
  stub.finish(0);
  const out = await session.done;
  t.match(out, /Program received signal SIGINT/, out);
  t.match(out, /rip +0x[0-9a-f]+ +0x[0-9a-f]+ <spin>/);
  t.match(out, /exited normally/);
});

/** A raw protocol peer: packets out with their checksums, replies in order. */
async function rawPeer(port: number) {
  const net = await import('node:net');
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  let buf = '';
  const waiting: (() => void)[] = [];
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    waiting.splice(0).forEach((w) => w());
  });
  const packet = (body: string) => `$${body}#${(Array.from(body).reduce((s, c) => s + c.charCodeAt(0), 0) & 0xff).toString(16).padStart(2, '0')}`;
  return {
    send: (raw: string) => sock.write(raw, 'latin1'),
    packet,
    /** The next reply's body (acks skipped). */
    async reply(): Promise<string> {
      for (;;) {
        buf = buf.replace(/^[+-]+/, '');
        const m = /^\$([^#]*)#[0-9a-f]{2}/.exec(buf);
        if (m) {
          buf = buf.slice(m[0].length);
          return m[1];
        }
        await new Promise<void>((r) => waiting.push(r));
      }
    },
    close: () => sock.destroy(),
  };
}

t.test('a Ctrl-C while stopped gets no second stop reply; one in the same read as continue interrupts that run', async (t) => {
  const f = fakeTarget();
  const stub = await GdbStub.listen(f.target, '127.0.0.1', 0);
  const peer = await rawPeer(stub.address().port);
  const started = stub.start(f.target.registers());
  peer.send(peer.packet('?'));
  t.equal(await peer.reply(), 'S05', 'the stop at entry');
  peer.send('\x03' + peer.packet('g'));
  t.match(await peer.reply(), /^[0-9a-f]{100,}$/, "the next reply is the registers, not a stop reply for the Ctrl-C");
  t.equal(f.interrupts.length, 0, 'no interrupt asked of a stopped VM');
  peer.send(peer.packet('c') + '\x03');
  await started;
  t.equal(f.interrupts.length, 1, 'the Ctrl-C behind continue interrupts the run it started');
  const stopped = stub.interrupted();
  t.equal(await peer.reply(), 'S02', 'and gdb hears SIGINT');
  peer.send(peer.packet('D'));
  t.equal(await peer.reply(), 'OK');
  t.equal(await stopped, true);
  stub.finish(0);
  peer.close();
});
