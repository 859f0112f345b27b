// No test leaves a VM, thread or fd behind: dispose, garbage collection and
// process exit all free the VM.
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import t from 'tap';
import { Sandbox } from '../src/sandbox';
import { create, openFds, root, simpleguest, threadCount } from './helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Teardown happens on the vCPU thread, so counts settle shortly after dispose. */
async function settle(expectFds: number, expectThreads: number): Promise<{ fds: number; threads: number }> {
  for (let i = 0; i < 200; i++) {
    // A new sandbox reaps finished teardown threads; make and drop one per round.
    if (openFds() === expectFds && threadCount() <= expectThreads) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { fds: openFds(), threads: threadCount() };
}

t.test('create/call/dispose cycles leave nothing behind', async (t) => {
  (await create()).dispose(); // warm up: the addon, the kick signal handler
  await new Promise((r) => setTimeout(r, 50));
  const fds = openFds();
  const threads = threadCount();
  for (let i = 0; i < 200; i++) {
    const sb = await create();
    if ((await sb.call('EchoI32', [i])) !== i) t.fail(`cycle ${i}: wrong result`);
    if (i % 3 === 0) await sb.call('ReadNull').catch(() => undefined); // crashed ones too
    sb.dispose();
  }
  const after = await settle(fds, threads + 1);
  t.equal(after.fds, fds, 'fd count back to where it was');
  t.ok(after.threads <= threads + 1, `threads back to ${threads} (+1 awaiting join): ${after.threads}`);
});

t.test('garbage-collected sandboxes free their VM', async (t) => {
  (await create()).dispose();
  await new Promise((r) => setTimeout(r, 50));
  const fds = openFds();
  let live: unknown[] = [];
  for (let i = 0; i < 50; i++) {
    const sb = await create();
    await sb.call('Echo', ['dropped without dispose']);
    live.push(sb);
  }
  t.ok(openFds() >= fds + 50 * 2, 'each live sandbox holds its VM and vCPU fds');
  live = [];
  t.equal(live.length, 0, 'dropped every reference, none disposed');
  for (let i = 0; i < 20 && openFds() > fds + 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(openFds() <= fds + 4, `fds released by GC: ${openFds()} vs ${fds}`);
});

t.test('process exit with live and spinning sandboxes does not hang', async (t) => {
  const script = `
    const { Sandbox } = require(${JSON.stringify(root + '/dist/src/sandbox/index.js')});
    (async () => {
      const a = await Sandbox.create(${JSON.stringify(simpleguest)});
      const b = await Sandbox.create(${JSON.stringify(simpleguest)});
      await a.call('Echo', ['x']);
      b.call('Spin').catch(() => {});
      setTimeout(() => { process.stdout.write('exiting'); process.exit(0); }, 100);
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 20_000, encoding: 'utf8' });
  t.equal(r.signal, null, 'not killed by the timeout');
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'exiting');
});

t.test('a process whose only work is a running guest stays alive until it ends', async (t) => {
  const script = `
    const { Sandbox } = require(${JSON.stringify(root + '/dist/src/sandbox/index.js')});
    Sandbox.create(${JSON.stringify(simpleguest)}).then(async (s) => {
      await s.call('Spin', [], { timeoutMs: 300 }).catch((e) => process.stdout.write(e.code));
    });`;
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 20_000, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'CANCELLED', 'the promise settled before the process exited');
});

t.test('many sandboxes at once keep their own state', async (t) => {
  const boxes = await Promise.all(Array.from({ length: 8 }, () => Sandbox.create(simpleguest)));
  await Promise.all(boxes.map((b, i) => b.call('SetStatic', [i * 11])));
  const got = await Promise.all(boxes.map((b) => b.call('GetStatic')));
  t.same(got, boxes.map((_, i) => i * 11));
  const spinning = boxes[3].call('Spin');
  boxes[3].kill();
  await t.rejects(spinning, { code: 'CANCELLED' });
  const again = await Promise.all(boxes.map((b, i) => (i === 3 ? 'poisoned' : b.call('Echo', [`box ${i}`]))));
  t.same(again, boxes.map((_, i) => (i === 3 ? 'poisoned' : `box ${i}`)), 'killing one affects no other');
  for (const b of boxes) b.dispose();
});
