// A host function is embedder code running while its guest waits: whatever it
// does to its own sandbox (call back, snapshot, restore, dispose, kill) or
// throws, the call ends at once with a typed error and the host stays intact.
import t from 'tap';
import { GuestError, type HostFunction, Sandbox } from '../src/sandbox';
import { simpleguest } from './helpers';

/** A bound on the outer call, so that a regression fails (CANCELLED) instead of hanging. */
const BOUND = { timeoutMs: 60_000 };

/** Lets timers and I/O run: a host function that awaited this is past its synchronous part. */
const tick = () => new Promise<void>((r) => setImmediate(r));

/** simpleguest's Add calls HostAdd(int32, int32) -> int32; `fn` gets the sandbox. */
async function withHostAdd(fn: (sb: Sandbox) => unknown): Promise<Sandbox> {
  let sb: Sandbox | undefined;
  const hostFunctions: HostFunction[] = [{ name: 'HostAdd', params: ['int32', 'int32'], returns: 'int32', fn: () => fn(sb!) }];
  sb = await Sandbox.create(simpleguest, { hostFunctions });
  return sb;
}

t.test('a host function calling back into its sandbox gets REENTRANT at once', async (t) => {
  const variants: [string, (sb: Sandbox) => unknown][] = [
    ['returns the call', (sb) => sb.call('Echo', ['x'])],
    ['awaits the call', async (sb) => String(await sb.call('Echo', ['x'])).length],
    ['calls snapshot()', (sb) => (sb.snapshot(), 0)],
    ['calls restore()', (sb) => (sb.restore(), 0)],
    // Past its synchronous part: 0.1.0 queued the call behind the one waiting for it (CANCELLED at BOUND).
    ['awaits, then calls', async (sb) => (await tick(), sb.call('Echo', ['x']))],
    ['awaits, then calls snapshot()', async (sb) => (await tick(), sb.snapshot(), 0)],
    ['awaits, then calls restore()', async (sb) => (await tick(), sb.restore(), 0)],
  ];
  for (const [name, body] of variants) {
    let seen: unknown;
    const sb = await withHostAdd((s) => {
      try {
        const r = body(s);
        if (r instanceof Promise) r.catch((e) => (seen = e));
        return r;
      } catch (e) {
        seen = e;
        throw e;
      }
    });
    const err = await sb.call('Add', [1, 2], BOUND).catch((e) => e);
    t.type(err, GuestError, `${name}: the guest got the host function's error (${err.message})`);
    t.match(err.guestMessage, /cannot (call Echo|snapshot|restore) from inside host function HostAdd/, name);
    t.match(seen, { code: 'REENTRANT' }, `${name}: the inner operation failed with REENTRANT`);
    t.notOk(sb.poisoned, `${name}: not poisoned`);
    t.equal(await sb.call('Echo', ['after']), 'after', `${name}: the sandbox still works`);
    sb.dispose();
  }
  // Calls a host function leaves behind are not re-entry once it returned: they run after the outer call.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let later: Promise<unknown> | undefined;
  let timed: Promise<unknown> | undefined;
  const sb = await withHostAdd((s) => {
    later = gate.then(() => s.call('Echo', ['later'], BOUND));
    setTimeout(() => (timed = s.call('Echo', ['timer'], BOUND)), 0);
    return 3;
  });
  t.equal(await sb.call('Add', [1, 2], BOUND), 3, 'the outer call ends');
  release();
  t.equal(await later, 'later', 'a call started from the host function\'s context after the outer call ended');
  while (!timed) await tick();
  t.equal(await timed, 'timer', 'a call a timer of the host function started');
  sb.dispose();
});

t.test('dispose() inside a host function fails the call with DISPOSED; kill() with CANCELLED', async (t) => {
  const variants: [string, (sb: Sandbox) => unknown][] = [
    ['synchronously', (sb) => (sb.dispose(), 3)],
    ['after an await', async (sb) => (await null, sb.dispose(), 3)],
    ['while the host function never settles', (sb) => (setImmediate(() => sb.dispose()), new Promise(() => undefined))],
  ];
  for (const [name, body] of variants) {
    const sb = await withHostAdd(body);
    await t.rejects(sb.call('Add', [1, 2], BOUND), { code: 'DISPOSED', message: /Add ended: the sandbox was disposed during the call/ }, name);
    await t.rejects(sb.call('Echo', ['x']), { code: 'DISPOSED' }, `${name}: later calls are refused`);
    t.throws(() => sb.stats(), { code: 'DISPOSED' });
    sb.dispose(); // still idempotent
  }
  // kill() inside a host function: the call is cancelled (this worked in 0.1.0 too; kept beside dispose).
  const killed = await withHostAdd((s) => (s.kill(), 3));
  await t.rejects(killed.call('Add', [1, 2], BOUND), { code: 'CANCELLED' }, 'kill() inside a host function');
  t.ok(killed.poisoned, 'poisoned like any cancellation');
  killed.restore();
  t.equal(await killed.call('Echo', ['after kill']), 'after kill', 'restore() makes it usable again');
  killed.dispose();
  const sb = await Sandbox.create(simpleguest);
  t.equal(await sb.call('Echo', ['fresh']), 'fresh', 'a new sandbox works after all of them');
  sb.dispose();
});

t.test('whatever a host function throws, the guest gets a bounded HOST_FUNCTION error', async (t) => {
  const throwingGetter = { get message(): string { throw new Error('getter'); }, toString(): string { throw new Error('toString'); } };
  const trap = () => { throw new Error('trap'); };
  const hostileProxy = new Proxy({}, { get: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap, has: trap, ownKeys: trap });
  class BadName extends Error {
    override get name(): string { throw new Error('name getter'); }
  }
  const nullProto = Object.assign(Object.create(null), { message: 'not an Error' });
  const cases: [string, () => unknown, RegExp][] = [
    ['an Error', () => new Error('plain'), /^plain$/],
    ['a null-prototype object', () => nullProto, /^host function HostAdd threw a non-Error object$/],
    ['a string', () => 'just text', /^just text$/],
    ['a number', () => 42, /^host function HostAdd threw the number 42$/],
    ['undefined', () => undefined, /^host function HostAdd threw undefined$/],
    ['null', () => null, /^host function HostAdd threw null$/],
    ['a symbol', () => Symbol('s'), /^host function HostAdd threw a symbol$/],
    ['a Proxy whose every trap throws', () => hostileProxy, /^host function HostAdd threw a non-Error object$/],
    ['a Proxy around an Error', () => new Proxy(new Error('wrapped'), { get: trap }), /^host function HostAdd threw a non-Error object$/],
    ['an object whose message and toString throw', () => throwingGetter, /^host function HostAdd threw a non-Error object$/],
    ['an Error whose name getter throws', () => new BadName('named'), /^host function HostAdd threw a non-Error object$/],
    ['a 1 MiB string', () => 'x'.repeat(1 << 20), /^x{1024}$/],
    ['a 1 MiB Error message', () => new Error('y'.repeat(1 << 20)), /^y{1024}$/],
  ];
  const errors: unknown[] = [];
  for (const [name, make] of cases) {
    const sb = await withHostAdd(() => {
      throw make();
    });
    const sbAsync = await withHostAdd(() => Promise.reject(make()));
    for (const [how, s] of [['throws', sb], ['rejects', sbAsync]] as const) {
      const err = await s.call('Add', [1, 2], BOUND).catch((e) => e);
      t.equal(err.code, 'GUEST_ERROR', `${how} ${name}: ${err.message}`);
      t.match(err.guestMessage, cases.find((c) => c[0] === name)![2], `${how} ${name}: the guest's message`);
      t.notOk(s.poisoned, `${how} ${name}: not poisoned`);
      errors.push(err);
      s.dispose();
    }
  }
  t.equal(errors.length, cases.length * 2);
});
