// Cancellation is race-free: kills before, during and after calls, from the
// JS thread and from a worker thread, in storms.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { InterruptHandle, Sandbox } from '../src/sandbox';
import { create, root, simpleguest } from './helpers';

const interruptModule = path.join(root, 'dist/src/sandbox/interrupt.js');

/** Runs `body` in a worker with an InterruptHandle for `id`; resolves with its message. */
function inWorker(id: number, body: string): Promise<unknown> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { InterruptHandle } = require(${JSON.stringify(interruptModule)});
    const handle = InterruptHandle.fromId(workerData.id);
    (async () => { ${body} })().then((v) => parentPort.postMessage(v));`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { id } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

t.test('a kill before a call starts does not cancel it', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  sb.kill();
  t.equal(await sb.call('Echo', ['a']), 'a', 'kill() with nothing in flight');
  t.equal(sb.interruptHandle().kill(), true, 'the handle reaches the VM');
  t.equal(await sb.call('Echo', ['b']), 'b', 'handle kill between calls');
  await inWorker(sb.interruptHandle().id, 'handle.kill(); return "done";');
  t.equal(await sb.call('Echo', ['c']), 'c', 'worker kill between calls');
});

t.test('a kill after a call ended does not cancel the next one', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  t.equal(await sb.call('Echo', ['x']), 'x');
  sb.kill();
  sb.interruptHandle().kill();
  t.equal(await sb.call('Echo', ['y']), 'y');
});

t.test('a kill from a worker stops a spinning guest', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  const id = sb.interruptHandle().id;
  const spin = sb.call('Spin');
  const killed = inWorker(id, 'await new Promise((r) => setTimeout(r, 50)); return handle.kill();');
  await t.rejects(spin, { code: 'CANCELLED' });
  t.equal(await killed, true);
  t.ok(sb.poisoned);
  sb.restore();
  t.equal(await sb.call('Echo', ['after']), 'after');
});

t.test('a kill during a host-function call stops the guest when control returns to it', async (t) => {
  let sb!: Sandbox;
  let hostRan = false;
  sb = await Sandbox.create(simpleguest, {
    hostFunctions: [
      {
        name: 'HostAdd',
        params: ['int32', 'int32'],
        returns: 'int32',
        fn: async (a: number, b: number) => {
          sb.kill(); // the guest is waiting for us: the kill lands when we return
          await new Promise((r) => setTimeout(r, 20));
          hostRan = true;
          return a + b;
        },
      },
    ],
  });
  t.teardown(() => sb.dispose());
  await t.rejects(sb.call('Add', [1, 2]), { code: 'CANCELLED' });
  t.ok(sb.poisoned, 'the guest never got control back');
  await new Promise((r) => setTimeout(r, 40));
  t.ok(hostRan, 'the host function itself ran to its end, its result discarded');
  sb.restore();
  t.equal(await sb.call('Echo', ['ok']), 'ok');
});

t.test('a host function that never settles cannot hold a call past its timeout', async (t) => {
  const sb = await Sandbox.create(simpleguest, {
    hostFunctions: [{ name: 'HostAdd', params: ['int32', 'int32'], returns: 'int32', fn: () => new Promise(() => undefined) }],
  });
  t.teardown(() => sb.dispose());
  await t.rejects(sb.call('Add', [1, 2], { timeoutMs: 100 }), { code: 'CANCELLED', message: /timed out after 100 ms/ });
  sb.restore();
  const stuck = sb.call('Add', [1, 2]);
  setTimeout(() => sb.kill(), 30);
  await t.rejects(stuck, { code: 'CANCELLED' });
  sb.restore();
  t.equal(await sb.call('Echo', ['free']), 'free', 'the call queue moves on');
});

t.test('a kill storm from a worker never corrupts or mislabels a result', async (t) => {
  const sb = await create();
  t.teardown(() => sb.dispose());
  const id = sb.interruptHandle().id;
  const storm = inWorker(id, 'let n = 0; const end = Date.now() + 1500; while (Date.now() < end) { handle.kill(); n++; } return n;');
  let ok = 0;
  let cancelled = 0;
  let i = 0;
  const end = Date.now() + 1500;
  while (Date.now() < end) {
    i++;
    try {
      const v = await sb.call('EchoI32', [i]);
      if (v !== i) t.fail(`call ${i} returned ${v}`);
      ok++;
    } catch (err) {
      if ((err as { code?: string }).code !== 'CANCELLED') throw err;
      cancelled++;
      sb.restore();
    }
  }
  const kills = (await storm) as number;
  t.ok(kills > 1000, `the worker sent ${kills} kills`);
  t.ok(ok + cancelled === i, `${ok} completed, ${cancelled} cancelled, every call accounted for`);
  t.equal(await sb.call('Echo', ['calm']), 'calm', 'usable after the storm');
});

t.test('timeouts bound guest init too', async (t) => {
  const ac = new AbortController();
  ac.abort(new Error('stop'));
  await t.rejects(Sandbox.create(simpleguest, { signal: ac.signal }), { code: 'CANCELLED' });
});

t.test('an interrupt handle of a disposed sandbox is inert', async (t) => {
  const sb = await create();
  const h = sb.interruptHandle();
  sb.dispose();
  await new Promise((r) => setTimeout(r, 50));
  t.equal(h.kill(), false);
  t.throws(() => InterruptHandle.fromId(-1), TypeError);
});
