// hl-test: no-kvm
// The exit loop (src/sandbox/exit-loop.ts) on a fake VM: scripted exits and
// guest memory the test writes, no /dev/kvm. Each port, each way a run ends,
// and hostile messages, decided as the real sandbox decides them.
import t from 'tap';
import * as abi from '../src/abi/constants';
import { Writer } from '../src/abi/codec';
import { decodeResult } from '../src/abi/messages';
import type { RawExit } from '../src/native';
import { GuestFault, HlError } from '../src/errors';
import { CANCELLED, CallContext } from '../src/sandbox/call-context';
import { type ExitLoopEnv, runExitLoop } from '../src/sandbox/exit-loop';
import { GuestLogBridge } from '../src/sandbox/guest-logs';
import { computeLayout } from '../src/sandbox/layout';

const layout = computeLayout(abi.HL_IMAGE_BASE + 0x10000, {});
const CODE = { addr: abi.HL_IMAGE_BASE, size: 0x1000 };

const io = (port: number): RawExit => ({ kind: 'io', port, value: 0, rip: 0n, rsp: 0n, cr2: 0n, vector: -1, errorCode: -1, reason: '', errno: 0 });
const exit = (over: Partial<RawExit>): RawExit => ({ ...io(0), ...over });

/** A VM whose runs return scripted exits; `before` writes guest memory before each exit is returned. */
class FakeVm {
  readonly memory = Buffer.alloc(layout.memSize);
  resumes = 0;
  constructor(private readonly script: { exit: RawExit; output?: Buffer; async?: boolean }[]) {}
  private next(): RawExit | Promise<RawExit> {
    const step = this.script.shift();
    if (!step) throw new Error('the loop ran the vCPU past the end of the script');
    if (step.output) step.output.copy(this.memory, layout.output.addr);
    return step.async ? Promise.resolve(step.exit) : step.exit;
  }
  first = () => this.next();
  resume() {
    this.resumes++;
    return this.next();
  }
  read(gpa: number, len: number): Buffer {
    if (gpa < 0 || len < 0 || gpa + len > this.memory.length) throw new Error('read outside guest memory');
    return Buffer.from(this.memory.subarray(gpa, gpa + len));
  }
  get left() {
    return this.script.length;
  }
}

function env(vm: FakeVm, seen: { logs: unknown[]; hostCalls: number } = { logs: [], hostCalls: 0 }): ExitLoopEnv {
  return {
    vm,
    layout,
    code: [CODE],
    handlers: {
      log: (kind, r) => {
        seen.logs.push({ kind, level: r.u32(), line: r.u32(), message: r.string(), file: r.string() });
      },
      hostCall: async (kind) => {
        seen.hostCalls++;
        if (kind !== abi.HL_MSG_HOSTCALL) throw new Error('wrong kind');
      },
    },
  };
}

const ctx = () => new CallContext('Fn', [{ name: 'call', target: 'hyperlight_host::sandbox' }]);
const result = (type: 'int32' | 'string', value: number | string) => new Writer(4096, 'r').value(type, value).finish(abi.HL_MSG_RESULT);
const sig = { name: 'Fn', params: [], returns: 'int32' as const };

t.test('DONE ends the loop with the result message, sync or async run', async (t) => {
  for (const async of [false, true]) {
    const vm = new FakeVm([{ exit: io(abi.HL_PORT_DONE), output: result('int32', 42), async }]);
    const done = await runExitLoop(env(vm), vm.first, ctx());
    t.equal(done.kind, abi.HL_MSG_RESULT);
    t.equal(decodeResult(done.kind, done.reader, sig), 42, `async=${async}`);
    t.equal(vm.resumes, 0, 'a done guest is not resumed');
  }
});

t.test('logs and host calls are served and the guest resumes after each', async (t) => {
  const log = new Writer(4096, 'l').u32(abi.HL_LOG_INFO).u32(7).value('string', 'hello').value('string', 'g.c').finish(abi.HL_MSG_LOG);
  const call = new Writer(4096, 'h').u32(0).u32(1).value('string', 'Add').finish(abi.HL_MSG_HOSTCALL);
  const vm = new FakeVm([
    { exit: io(abi.HL_PORT_LOG), output: log },
    { exit: io(abi.HL_PORT_HOSTCALL), output: call, async: true },
    { exit: io(abi.HL_PORT_LOG), output: log },
    { exit: io(abi.HL_PORT_DONE), output: result('string', 'ok') },
  ]);
  const seen = { logs: [] as unknown[], hostCalls: 0 };
  const done = await runExitLoop(env(vm, seen), vm.first, ctx());
  t.equal(done.kind, abi.HL_MSG_RESULT);
  t.equal(seen.hostCalls, 1);
  t.same(seen.logs, [
    { kind: abi.HL_MSG_LOG, level: abi.HL_LOG_INFO, line: 7, message: 'hello', file: 'g.c' },
    { kind: abi.HL_MSG_LOG, level: abi.HL_LOG_INFO, line: 7, message: 'hello', file: 'g.c' },
  ]);
  t.equal(vm.resumes, 3, 'resumed after each log and host call');
  t.equal(vm.left, 0);
});

t.test('every other ending is a typed error, and the guest is never resumed after it', async (t) => {
  const abort = new Writer(4096, 'a').u32(77).u32(0).value('string', 'gave up').finish(abi.HL_MSG_ABORT);
  const ud2 = Buffer.from([0x0f, 0x0b]);
  const cases: [string, { exit: RawExit; output?: Buffer; code?: Buffer }, (e: unknown) => boolean][] = [
    ['abort', { exit: io(abi.HL_PORT_ABORT), output: abort }, (e) => e instanceof HlError && e.code === 'GUEST_ABORTED' && /code 77: gave up/.test(e.message)],
    ['a wrong kind on the abort port', { exit: io(abi.HL_PORT_ABORT), output: result('int32', 1) }, (e) => e instanceof HlError && e.code === 'ABI_VIOLATION'],
    ['a port outside the ABI', { exit: io(0x80), output: result('int32', 1) }, (e) => e instanceof HlError && e.code === 'ABI_VIOLATION' && /port 0x80/.test(e.message)],
    ['a message longer than the output buffer', { exit: io(abi.HL_PORT_DONE), output: Buffer.from([abi.HL_MSG_RESULT, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f]) }, (e) => e instanceof HlError && e.code === 'ABI_VIOLATION' && /runs past/.test(e.message)],
    ['a log record of an unknown level', { exit: io(abi.HL_PORT_LOG), output: new Writer(4096, 'l').u32(9).u32(0).value('string', 'x').value('string', '').finish(abi.HL_MSG_LOG) }, (e) => e instanceof HlError && e.code === 'ABI_VIOLATION' && /log level 9/.test(e.message)],
    ['cancelled', { exit: exit({ kind: 'cancelled' }) }, (e) => e === CANCELLED],
    ['a pause with no debugger', { exit: exit({ kind: 'paused' }) }, (e) => e instanceof HlError && e.code === 'INTERNAL' && /paused during Fn with no debugger/.test(e.message)],
    ['a KVM failure', { exit: exit({ kind: 'error', reason: 'KVM_RUN failed', errno: 14 }) }, (e) => e instanceof HlError && e.code === 'INTERNAL' && /KVM_RUN failed \(errno 14\)/.test(e.message)],
    ['a page fault', { exit: exit({ kind: 'fault', vector: 14, errorCode: 0x6, cr2: 0x10n, rip: 0x200010n, reason: 'exception' }) }, (e) => e instanceof GuestFault && e.kind === 'null_pointer'],
    ['a shutdown whose code is ud2', { exit: exit({ kind: 'fault', rip: BigInt(CODE.addr + 0x20), reason: 'shutdown' }), code: ud2 }, (e) => e instanceof GuestFault && e.kind === 'invalid_opcode'],
  ];
  for (const [what, step, check] of cases) {
    const vm = new FakeVm([step, { exit: io(abi.HL_PORT_DONE), output: result('int32', 0) }]);
    if (step.code) step.code.copy(vm.memory, CODE.addr + 0x20);
    const e = env(vm);
    // The sandbox's own log bridge, which refuses a level past CRITICAL.
    const bridge = new GuestLogBridge(() => undefined, {}, undefined);
    e.handlers.log = (kind, r, c) => bridge.handle(kind, r, c);
    const err = await runExitLoop(e, vm.first, ctx()).then(() => 'no error', (x) => x);
    t.ok(check(err), `${what}: ${String((err as Error)?.message ?? err.toString())}`);
    t.equal(vm.resumes, 0, `${what}: not resumed`);
  }
});

t.test('a fault outside the code is classified without reading guest memory there', async (t) => {
  const vm = new FakeVm([{ exit: exit({ kind: 'fault', rip: 0x7f0000000000n, reason: 'shutdown' }) }]);
  const err = await runExitLoop(env(vm), vm.first, ctx()).catch((e) => e);
  t.type(err, GuestFault);
  t.equal(err.kind, 'shutdown');
  t.match(err.message, /rip 0x7f0000000000/);
});

t.test("a debugger's stops (a breakpoint fault, its interrupt) resume the guest; what it declines ends the call", async (t) => {
  const stops: string[] = [];
  const vm = new FakeVm([
    { exit: exit({ kind: 'fault', vector: 13, rip: 0x200010n, reason: 'exception' }) },
    { exit: exit({ kind: 'paused' }) },
    { exit: io(abi.HL_PORT_DONE), output: result('int32', 5) },
  ]);
  const c = ctx();
  c.debugStop = async (x) => (stops.push(x.kind), true);
  const done = await runExitLoop(env(vm), vm.first, c);
  t.equal(decodeResult(done.kind, done.reader, sig), 5);
  t.same(stops, ['fault', 'paused'], 'both went to the debugger');
  t.equal(vm.resumes, 2, 'and the guest resumed after each');
  const declined = new FakeVm([{ exit: exit({ kind: 'fault', vector: 14, errorCode: 0x6, cr2: 0x10n, rip: 0x200010n, reason: 'exception' }) }]);
  const c2 = ctx();
  c2.debugStop = async () => false; // a real fault: gdb saw it, the call fails with it
  t.type(await runExitLoop(env(declined), declined.first, c2).catch((e) => e), GuestFault);
});
