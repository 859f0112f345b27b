// hl-test: no-kvm
// Which host function the running code is inside, across awaits (no KVM):
// what call(), snapshot() and restore() ask to refuse re-entry with REENTRANT.
// test/20-sandbox-host-reentry checks the same through real sandboxes on KVM.
import t from 'tap';
import { HostFrame } from '../src/sandbox/host-context';

const tick = () => new Promise<void>((r) => setImmediate(r));

t.test('a host function is inside its frame across awaits and timers, until it ends', async (t) => {
  const sandbox = {};
  const other = {};
  t.equal(HostFrame.insideOf(sandbox), undefined, 'outside any host function');
  const frame = HostFrame.enter(sandbox, 'HostAdd');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let later: Promise<string | undefined> | undefined;
  const seen = await frame.run(async () => {
    const sync = HostFrame.insideOf(sandbox);
    await tick();
    const afterAwait = HostFrame.insideOf(sandbox);
    const inTimer = await new Promise<string | undefined>((r) => setTimeout(() => r(HostFrame.insideOf(sandbox)), 1));
    // Left behind: runs in this frame's async context, but after the frame ended.
    later = gate.then(() => HostFrame.insideOf(sandbox));
    return { sync, afterAwait, inTimer, otherSandbox: HostFrame.insideOf(other) };
  });
  t.same(seen, { sync: 'HostAdd', afterAwait: 'HostAdd', inTimer: 'HostAdd', otherSandbox: undefined });
  frame.end();
  frame.end(); // idempotent
  // While another host function runs (so the storage is enabled), the ended frame must still not count.
  const busy = HostFrame.enter(other, 'Busy');
  const [leftBehind, inBusy] = await busy.run(async () => {
    release();
    const l = await later;
    await tick();
    return [l, HostFrame.insideOf(sandbox)];
  });
  busy.end();
  t.equal(leftBehind, undefined, 'code a host function left behind is not inside it once it ended');
  t.equal(inBusy, undefined, "another sandbox's host function is not this one's");
  t.equal(HostFrame.insideOf(sandbox), undefined);
});

t.test('a host function of another sandbox, called from inside one of this sandbox, is inside both', async (t) => {
  const a = {};
  const b = {};
  const outer = HostFrame.enter(a, 'OuterFn');
  const seen = await outer.run(async () => {
    await tick();
    const inner = HostFrame.enter(b, 'InnerFn'); // a's host function called b, whose guest called a host function
    const r = await inner.run(async () => (await tick(), [HostFrame.insideOf(a), HostFrame.insideOf(b)]));
    inner.end();
    return [...r, HostFrame.insideOf(b), HostFrame.insideOf(a)];
  });
  outer.end();
  t.same(seen, ['OuterFn', 'InnerFn', undefined, 'OuterFn']);
  t.equal(HostFrame.insideOf(a), undefined);
});
