// State across restore(): nothing a call does to the CPU reaches the call
// after a restore(), crashed or not, and port input on the ABI ports is
// refused without leaving KVM half an instruction to finish later.
import t, { type Test } from 'tap';
import { GuestFault, type Sandbox } from '../src/sandbox';
import { create } from './helpers';

const read = async (sb: Sandbox) => Buffer.from((await sb.call('ReadState')) as Uint8Array).toString('hex');

/** Runs `fn`: 'ok', or the kind of fault it ended in. */
async function outcome(sb: Sandbox, fn: string, args: unknown[] = []): Promise<string> {
  return sb.call(fn, args).then(
    () => 'ok',
    (e) => (e instanceof GuestFault ? e.kind : `unexpected: ${e.message}`),
  );
}

/** Runs `fn`; true if it ran, false if this CPU lacks the instruction (#UD). */
async function tryDirty(t: Test, sb: Sandbox, fn: string, args: unknown[] = []): Promise<boolean> {
  const r = await outcome(sb, fn, args);
  if (r === 'ok') return true;
  t.equal(r, 'invalid_opcode', `${fn}: the only acceptable fault is a missing instruction`);
  return false;
}

t.test('vector, x87, MXCSR and selector state does not survive restore()', async (t) => {
  const sb = await create('cpustate');
  t.teardown(() => sb.dispose());
  const clean = await read(sb);
  sb.restore();
  for (const fn of ['DirtyVectors', 'DirtyFpu', 'DirtySelectors']) {
    t.equal(await sb.call(fn), 0, `${fn} ran`);
    t.not(await read(sb), clean, `${fn} changes what the next call sees without a restore (the test can fail)`);
    sb.restore();
    t.equal(await sb.call(fn), 0);
    sb.restore();
    t.equal(await read(sb), clean, `after ${fn} and restore(), the next call sees the state after init`);
    sb.restore();
  }
});

t.test('the same after a crash', async (t) => {
  const sb = await create('cpustate');
  t.teardown(() => sb.dispose());
  const clean = await read(sb);
  sb.restore();
  await t.rejects(sb.call('DirtyAllThenCrash'), { code: 'GUEST_FAULT', kind: 'invalid_opcode' });
  sb.restore();
  t.equal(await read(sb), clean, 'ymm upper halves, x87, MXCSR and selectors are back');
});

t.test('every call starts with the default MXCSR and x87 control word', async (t) => {
  const sb = await create('cpustate');
  t.teardown(() => sb.dispose());
  t.equal(await sb.call('DirtyFpu'), 0);
  const state = Buffer.from(await read(sb), 'hex');
  t.equal(state.readUInt16LE(0), 0x37f, 'FCW is the default at entry (no restore in between)');
  t.equal(state.readUInt32LE(24), 0x1f80, 'MXCSR is the default at entry');
  t.equal(state.readUInt8(4), 0, 'the x87 stack is empty at entry');
});

t.test('FS/GS base and PKRU do not survive restore(); PKRU cannot brick the sandbox', async (t) => {
  const sb = await create('cpustate');
  t.teardown(() => sb.dispose());
  if (await tryDirty(t, sb, 'ReadFsGs')) {
    sb.restore();
    const clean = await sb.call('ReadFsGs');
    sb.restore();
    t.ok(await tryDirty(t, sb, 'DirtyFsGs'), 'wrfsbase runs where rdfsbase does');
    t.not(await sb.call('ReadFsGs'), clean, 'FS/GS base changed without a restore');
    sb.restore();
    t.equal(await sb.call('ReadFsGs'), clean, 'FS/GS base back after restore()');
  }
  sb.restore();
  const pkruAvailable = (await outcome(sb, 'ReadPkru')) === 'ok';
  sb.restore();
  const cleanPkru = pkruAvailable ? await sb.call('ReadPkru') : undefined;
  for (let round = 0; round < 3; round++) {
    sb.restore();
    // PKRU=3 denies every access to key-0 pages (all of guest memory): the
    // call faults at its next memory access, and so would every later call
    // if PKRU survived restore(). Without PKU, wrpkru is #UD.
    const r = await outcome(sb, 'WritePkru', [3]);
    t.ok(['ok', 'page_fault', 'invalid_opcode'].includes(r), `WritePkru: ${r}`);
    sb.restore();
    t.equal(await outcome(sb, 'ReadState'), 'ok', `round ${round}: calls work after restore()`);
    if (pkruAvailable) {
      sb.restore();
      t.equal(await sb.call('ReadPkru'), cleanPkru, `round ${round}: PKRU is back to its value after init`);
    }
  }
});

t.test('port input and string I/O on the ABI ports are refused; the next call is unharmed', async (t) => {
  const sb = await create('cpustate');
  t.teardown(() => sb.dispose());
  const clean = await read(sb);
  sb.restore();
  for (const fn of ['InOnAbiPort', 'RepInsbOnAbiPort', 'RepOutsbOnAbiPort', 'ByteOutOnAbiPort']) {
    const err = await sb.call(fn).catch((e) => e);
    t.type(err, GuestFault, `${fn} is a fault`);
    t.ok(sb.poisoned, `${fn} poisons the sandbox`);
    sb.restore();
    // Before the fix the next call resumed the old instruction stream and
    // returned the attacker's value, or failed for good after `rep insb`.
    t.equal(await read(sb), clean, `the call after ${fn} runs from its own entry`);
    sb.restore();
    t.equal(await outcome(sb, 'DirtyVectors'), 'ok', `calls keep working after ${fn}`);
    sb.restore();
  }
});
