// Faults, aborts and hostile output end in typed errors, never in a host crash.
import t from 'tap';
import { GuestFault, HlError } from '../src/sandbox';
import { create } from './helpers';

t.test('crashes are typed faults with details, and poison the sandbox', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  sb.snapshot();
  const cases: [string, unknown[], string, RegExp][] = [
    ['ReadNull', [], 'null_pointer', /read of null pointer 0x0/],
    ['WriteUnmapped', [], 'out_of_bounds', /write at 0x7f0000000000 outside/],
    ['StackOverflow', [10000], 'stack_overflow', /stack overflow/],
  ];
  for (const [fn, args, kind, message] of cases) {
    const err = await sb.call(fn, args).catch((e) => e);
    t.type(err, GuestFault, fn);
    t.equal(err.code, 'GUEST_FAULT');
    t.equal(err.kind, kind, `${fn} is a ${kind}`);
    t.match(err.message, message);
    t.match(err.details.rip, /^0x2[0-9a-f]+$/, 'rip points into the guest image');
    t.ok(sb.poisoned);
    await t.rejects(sb.call('Echo', ['x']), { code: 'POISONED' }, 'poisoned until restore');
    sb.restore();
    t.equal(await sb.call('Echo', ['back']), 'back', `usable after restore (${fn})`);
  }
  t.equal(await sb.call('StackOverflow', [4]), 10, 'a shallow recursion works (4+3+2+1)');
});

t.test('abort carries the code and poisons', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  sb.snapshot();
  const err = await sb.call('Abort', [42]).catch((e) => e);
  t.type(err, HlError);
  t.equal(err.code, 'GUEST_ABORTED');
  t.equal(err.details.guestCode, 42);
  t.match(err.message, /code 42/);
  t.ok(sb.poisoned);
  sb.restore();
  t.notOk(sb.poisoned);
});

t.test('timeouts and kill cancel a spinning guest', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  sb.snapshot();
  await t.rejects(sb.call('Spin', [], { timeoutMs: 50 }), { code: 'CANCELLED', message: /timed out after 50 ms/ });
  t.ok(sb.poisoned);
  sb.restore();
  const p = sb.call('Spin');
  setTimeout(() => sb.kill(), 30);
  await t.rejects(p, { code: 'CANCELLED' });
  sb.restore();
  const ac = new AbortController();
  const q = sb.call('Spin', [], { signal: ac.signal });
  setTimeout(() => ac.abort(), 30);
  await t.rejects(q, { code: 'CANCELLED' });
  sb.restore();
  sb.kill();
  t.equal(await sb.call('Echo', ['x']), 'x', 'a kill between calls does not cancel the next call');
});

t.test('hostile output is refused as an ABI violation', async (t) => {
  const sb = await create('hostile');
  t.teardown(() => sb.dispose());
  sb.snapshot();
  const cases: [string, unknown[], string, RegExp][] = [
    ['BadUtf8', [], 'ABI_VIOLATION', /not valid UTF-8/],
    ['LengthBeyondBuffer', [], 'ABI_VIOLATION', /runs past the \d+-byte output buffer/],
    ['ValueBeyondMessage', [], 'ABI_VIOLATION', /runs past its message/],
    ['WrongResultType', [], 'ABI_VIOLATION', /returned a double, but declares int32/],
    ['UnknownKind', [], 'ABI_VIOLATION', /message kind 119/],
    ['DeniedPort', [], 'GUEST_FAULT', /general protection/],
    ['ExecData', [], 'GUEST_FAULT', /execute at 0x/],
    ['InvalidOpcode', [], 'GUEST_FAULT', /invalid opcode \(#UD\)/],
    ['DivideByZero', [7], 'GUEST_FAULT', /divide error \(#DE\)/],
    ['LongAbort', [], 'GUEST_ABORTED', /code 77: A{1024}$/],
  ];
  for (const [fn, args, code, message] of cases) {
    const err = await sb.call(fn, args).catch((e) => e);
    t.equal(err.code, code, `${fn}: ${err.message}`);
    t.match(err.message, message);
    sb.restore();
  }
  await t.rejects(sb.call('UnknownHostFunction'), { code: 'GUEST_ERROR', message: /unknown host function/ });
});

t.test('exceptions reach the host only through its ring-0 stubs, whatever the guest does', async (t) => {
  const sb = await create('hostile');
  t.teardown(() => sb.dispose());
  sb.snapshot();
  // A ring-3 write to the stubs' port, with a page fault's registers: a #GP.
  const forged = await sb.call('ForgeExceptionReport').catch((e) => e);
  t.type(forged, GuestFault);
  t.equal(forged.kind, 'general_protection', `a forged report is a #GP: ${forged.message}`);
  t.equal(forged.details.vector, 13);
  t.notOk('address' in forged.details, 'no page-fault address taken from the guest');
  sb.restore();
  // `int 14` from ring 3: refused by the gate (#GP; PVM raises #UD for `int n`).
  const soft = await sb.call('SoftPageFault').catch((e) => e);
  t.type(soft, GuestFault);
  t.ok(['general_protection', 'invalid_opcode'].includes(soft.kind), `int 14 is not a page fault: ${soft.message}`);
  sb.restore();
  // A fault with an unmapped RSP is still reported exactly: the stubs have their own stack.
  const wild = await sb.call('FaultWithWildStack').catch((e) => e);
  t.type(wild, GuestFault);
  t.equal(wild.kind, 'invalid_opcode', wild.message);
  t.equal(wild.details.reason, 'exception', 'reported by a stub, not a shutdown');
  sb.restore();
  t.equal(await sb.call('Peek'), 0n, 'usable after restore');
});

t.test('the library refuses misuse with USAGE errors', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  await t.rejects(sb.call('Nope'), { code: 'UNKNOWN_FUNCTION' });
  await t.rejects(sb.call('Echo', []), { code: 'USAGE', message: /takes 1 argument, got 0/ });
  await t.rejects(sb.call('Echo', [1]), { code: 'USAGE', message: /must be a string/ });
  await t.rejects(sb.call('EchoI32', [2 ** 31]), { code: 'USAGE' });
  await t.rejects(sb.call('EchoU64', [-1n]), { code: 'USAGE' });
  await t.rejects(sb.call('EchoI32', [1.5]), { code: 'USAGE' });
  await t.rejects(sb.call('Echo', ['x'.repeat(70000)]), { code: 'USAGE', message: /does not fit/ });
  t.equal(await sb.call('Echo', ['fine']), 'fine', 'misuse does not poison');
  sb.dispose();
  await t.rejects(sb.call('Echo', ['x']), { code: 'DISPOSED' });
  sb.dispose();
  t.pass('dispose is idempotent');
});

t.test('a log flood is capped per call and costs nothing past the cap', async (t) => {
  let logs = 0;
  let capped = 0;
  const sb = await create('hostile', { maxGuestLogsPerCall: 500, observer: { onGuestLog: () => logs++, onGuestLogsCapped: () => capped++ } });
  t.teardown(() => sb.dispose());
  await sb.call('LogFlood', [100_000]);
  t.equal(logs, 500, 'records past the cap never left the guest');
  t.equal(capped, 1);
  await sb.call('LogFlood', [10]);
  t.equal(logs, 510, 'the next call logs again');
});

t.test('restore wipes the stack and buffers too: no state survives it', async (t) => {
  const sb = await create('hostile');
  t.teardown(() => sb.dispose());
  await sb.call('Stash', [42n]);
  t.equal(await sb.call('Peek'), 42n, 'state persists between calls');
  sb.restore();
  t.equal(await sb.call('Peek'), 0n, 'gone after restore');
});

t.test('a guest that ignores the log level is still capped by the host', async (t) => {
  let logs = 0;
  const sb = await create('hostile', { maxGuestLogsPerCall: 100, observer: { onGuestLog: () => logs++ } });
  t.teardown(() => sb.dispose());
  await sb.call('RawLogFlood', [5000]);
  t.equal(logs, 100, 'records past the cap are dropped by the host');
});
