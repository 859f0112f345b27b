// Every simpleguest function through the library, on the real addon and KVM.
import t from 'tap';
import { GuestError, Sandbox, guestApi } from '../src/sandbox';
import type { GuestApi, GuestLogRecord } from '../src/sandbox';
import { create, simpleguest } from './helpers';

t.test('functions and signatures', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  const names = sb.functions.map((f) => f.name);
  for (const n of ['Echo', 'EchoI32', 'EchoU32', 'EchoI64', 'EchoU64', 'EchoFloat', 'EchoDouble', 'EchoBool', 'EchoBytes', 'Add', 'PrintOutput', 'LogMessage', 'GuestError', 'Abort', 'SetStatic', 'GetStatic', 'Spin', 'StackOverflow', 'ReadNull', 'WriteUnmapped', 'Malloc']) {
    t.ok(names.includes(n), `has ${n}`);
  }
  t.same(sb.signature('Add'), { name: 'Add', returns: 'int32', params: ['int32', 'int32'] });
  t.same(sb.signature('LogMessage'), { name: 'LogMessage', returns: 'void', params: ['string', 'int32'] });
});

t.test('echo functions return their argument unchanged', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  t.equal(await sb.call('Echo', ['hello']), 'hello');
  t.equal(await sb.call('Echo', ['']), '');
  t.equal(await sb.call('Echo', ['ünïcödé ✓ 🚀']), 'ünïcödé ✓ 🚀');
  t.equal(await sb.call('Echo', ['x'.repeat(60000)]), 'x'.repeat(60000), 'near the buffer size');
  for (const v of [0, -1, 2147483647, -2147483648]) t.equal(await sb.call('EchoI32', [v]), v);
  for (const v of [0, 4294967295]) t.equal(await sb.call('EchoU32', [v]), v);
  for (const v of [0n, -(2n ** 63n), 2n ** 63n - 1n]) t.equal(await sb.call('EchoI64', [v]), v);
  for (const v of [0n, 2n ** 64n - 1n, 9007199254740993n]) t.equal(await sb.call('EchoU64', [v]), v, `uint64 ${v} without precision loss`);
  t.equal(await sb.call('EchoFloat', [1.5]), 1.5);
  t.equal(await sb.call('EchoFloat', [1.1]), Math.fround(1.1));
  t.equal(await sb.call('EchoDouble', [Math.PI]), Math.PI);
  t.equal(await sb.call('EchoDouble', [-0]), -0);
  t.ok(Number.isNaN(await sb.call('EchoDouble', [NaN])));
  t.equal(await sb.call('EchoDouble', [Infinity]), Infinity);
  t.equal(await sb.call('EchoBool', [true]), true);
  t.equal(await sb.call('EchoBool', [false]), false);
  const bytes = Buffer.from([0, 1, 2, 255, 0, 10, 13]);
  t.same(Buffer.from((await sb.call('EchoBytes', [bytes])) as Uint8Array), bytes);
  t.same(Buffer.from((await sb.call('EchoBytes', [new Uint8Array(0)])) as Uint8Array), Buffer.alloc(0));
});

t.test('host functions: Add calls HostAdd, PrintOutput calls HostPrint', async (t) => {
  const printed: string[] = [];
  const hostCalls: string[] = [];
  const sb = await Sandbox.create(simpleguest, {
    hostFunctions: [
      { name: 'HostAdd', params: ['int32', 'int32'], returns: 'int32', fn: (a: number, b: number) => a * 100 + b },
      { name: 'HostPrint', params: ['string'], returns: 'int32', fn: async (s: string) => (printed.push(s), s.length) },
    ],
    observer: { onHostCall: (e) => hostCalls.push(e.fn) },
  });
  t.teardown(() => sb.dispose());
  t.equal(await sb.call('Add', [2, 3]), 203, 'the host computed it');
  t.equal(await sb.call('PrintOutput', ['hi there']), 8);
  t.same(printed, ['hi there']);
  t.same(hostCalls, ['HostAdd', 'HostPrint']);
});

t.test('a host function that throws becomes a guest-visible error', async (t) => {
  const sb = await Sandbox.create(simpleguest, {
    hostFunctions: [{ name: 'HostAdd', params: ['int32', 'int32'], returns: 'int32', fn: () => { throw new Error('no adding today'); } }],
  });
  t.teardown(() => sb.dispose());
  const err = await sb.call('Add', [1, 2]).catch((e) => e);
  t.type(err, GuestError);
  t.equal(err.code, 'GUEST_ERROR');
  t.match(err.guestMessage, /no adding today/);
  t.equal(await sb.call('Echo', ['still fine']), 'still fine', 'the sandbox is not poisoned');
});

t.test('a missing host function or a wrong signature is reported to the guest', async (t) => {
  const sb = await Sandbox.create(simpleguest, {
    hostFunctions: [{ name: 'HostPrint', params: ['int32'], returns: 'int32', fn: () => 1 }],
  });
  t.teardown(() => sb.dispose());
  await t.rejects(sb.call('Add', [1, 2]), { code: 'GUEST_ERROR', guestMessage: /unknown host function "HostAdd"/ });
  await t.rejects(sb.call('PrintOutput', ['x']), { code: 'GUEST_ERROR', guestMessage: /called with \(string\)/ });
});

t.test('guest logs reach the observer with level, file and line', async (t) => {
  const logs: GuestLogRecord[] = [];
  const sb = await create('simpleguest', { observer: { onGuestLog: (r) => logs.push(r) } });
  t.teardown(() => sb.dispose());
  for (let level = 0; level <= 5; level++) await sb.call('LogMessage', [`level ${level}`, level]);
  t.equal(logs.length, 6);
  t.same(logs.map((l) => l.level), [0, 1, 2, 3, 4, 5]);
  t.equal(logs[2].message, 'level 2');
  t.match(logs[2].file, /simpleguest\.c$/);
  t.ok(logs[2].line > 0);
  sb.setGuestLogLevel(3);
  logs.length = 0;
  for (let level = 0; level <= 5; level++) await sb.call('LogMessage', [`again ${level}`, level]);
  t.same(logs.map((l) => l.level), [3, 4, 5], 'records below the level stay in the guest');
});

t.test('guest errors carry the guest code and message', async (t) => {
  const errors: { code: number; message: string }[] = [];
  const sb = await create('simpleguest', { observer: { onGuestError: (e) => errors.push(e) } });
  t.teardown(() => sb.dispose());
  const err = await sb.call('GuestError', [1234, 'it broke']).catch((e) => e);
  t.type(err, GuestError);
  t.equal(err.guestCode, 1234);
  t.equal(err.guestMessage, 'it broke');
  t.same(errors, [{ fn: 'GuestError', code: 1234, message: 'it broke' }]);
  t.equal(await sb.call('Echo', ['ok']), 'ok', 'a guest error does not poison');
});

t.test('static state lives as long as the sandbox; snapshot and restore', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  t.equal(await sb.call('GetStatic'), 0);
  t.equal(await sb.call('SetStatic', [41]), 41);
  t.equal(await sb.call('GetStatic'), 41);
  sb.snapshot();
  await sb.call('SetStatic', [99]);
  t.equal(await sb.call('GetStatic'), 99);
  sb.restore();
  t.equal(await sb.call('GetStatic'), 41, 'restore returns to the snapshot');
  const other = await create();
  t.teardown(() => other.dispose());
  t.equal(await other.call('GetStatic'), 0, 'sandboxes do not share state');
});

t.test('the heap', async (t) => {
  const sb = await create('simpleguest', { heapSize: 2 * 1024 * 1024 });
  t.teardown(() => sb.dispose());
  t.equal(await sb.call('Malloc', [1024 * 1024]), 1024 * 1024);
  for (let i = 0; i < 20; i++) await sb.call('Malloc', [1024 * 1024]);
  t.pass('freed memory is reused');
  await t.rejects(sb.call('Malloc', [3 * 1024 * 1024]), { code: 'GUEST_ERROR', guestCode: 4 }, 'beyond the heap: out of memory');
  await t.rejects(sb.call('Malloc', [-1]), { code: 'GUEST_ERROR' });
});

t.test('calls on one sandbox are serialised; the event loop stays live', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => sb.call('EchoI32', [i])));
  clearInterval(timer);
  t.same(results, Array.from({ length: 200 }, (_, i) => i));
  const spin = sb.call('Spin', [], { timeoutMs: 150 });
  let during = 0;
  const t2 = setInterval(() => during++, 5);
  await t.rejects(spin, { code: 'CANCELLED' });
  clearInterval(t2);
  t.ok(during > 0, 'timers ran while the guest was spinning');
});

t.test('typed calls: an interface the user declares, or call<R>()', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  interface Simple {
    Echo(s: string): string;
    Add(a: number, b: number): number;
    EchoU64(n: bigint): bigint;
  }
  const g = guestApi<Simple>(sb);
  const s: string = await g.Echo('typed');
  t.equal(s, 'typed');
  const n: number = await g.Add(2, 3);
  t.equal(n, 5);
  const big: bigint = await g.EchoU64(2n ** 64n - 1n);
  t.equal(big, 2n ** 64n - 1n);
  // The interface is a promise the guest does not sign: call() still checks.
  const wrong = g as unknown as GuestApi<{ Nope(): void; Add(a: string): number }>;
  await t.rejects(wrong.Nope(), { code: 'UNKNOWN_FUNCTION' });
  await t.rejects(wrong.Add('x'), { code: 'USAGE' });
  t.equal((g as unknown as { then?: unknown }).then, undefined, 'not mistaken for a promise');
  t.equal(await Promise.resolve(g), g, 'an api can be awaited and returned');
  const r: number = await sb.call<number>('EchoI32', [41]);
  t.equal(r, 41);
});
