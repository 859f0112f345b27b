// hl-test: no-kvm
// Placing guest TSC stamps on the host clock (src/sandbox/guest-clock.ts):
// anchored at the first vCPU entry, never inside a gap between runs, never
// before the first run or after the last. End to end (a real guest under
// --otlp) in test/72-tracing-guest.
import t from 'tap';
import { MAX_RUN_INTERVALS, RunIntervals, guestClock } from '../src/sandbox/guest-clock';

const KHZ = 1_000_000; // 1 GHz: 1,000,000 ticks per ms
const runs = (...pairs: [number, number][]) => {
  const r = new RunIntervals();
  for (const [a, b] of pairs) r.add(a, b);
  return r;
};

t.test('start_tsc is the start of the first run, not an earlier host reading', async (t) => {
  const at = guestClock(5_000n, KHZ, runs([1000.03, 1001]), 1000);
  t.equal(at(5_000n), 1000.03, 'the entry stamp lands on the vcpu_run start');
  t.equal(at(5_000n + 500_000n), 1000.53, 'later stamps follow at the TSC rate');
  t.equal(at(4_000n), 1000.03, 'a stamp before start_tsc is the entry');
});

t.test('a stamp in a gap between runs moves to the next run; none passes the last', async (t) => {
  // run 1: 1000-1001, host call 1001-1002, run 2: 1002-1003
  const at = guestClock(0n, KHZ, runs([1000, 1001], [1002, 1003]), 0);
  t.equal(at(500_000n), 1000.5, 'inside run 1');
  t.equal(at(1_500_000n), 1002, 'in the gap: the start of run 2');
  t.equal(at(2_500_000n), 1002.5, 'inside run 2');
  t.equal(at(9_000_000n), 1003, 'past the end: the end of the last run');
  let prev = -Infinity;
  for (let tsc = 0n; tsc <= 4_000_000n; tsc += 50_000n) {
    const ms = at(tsc);
    t.ok(ms >= prev, `monotonic at ${tsc}`);
    prev = ms;
  }
});

t.test('without a rate or a run, the fallback', async (t) => {
  t.equal(guestClock(0n, 0, runs([10, 20]), 5)(1_000_000n), 10, 'no TSC rate: the first entry');
  t.equal(guestClock(0n, KHZ, new RunIntervals(), 5)(1_000_000n), 5, 'no run recorded: the fallback');
});

t.test('the runs kept per call are bounded; the tail widens the last', async (t) => {
  const r = new RunIntervals();
  for (let i = 0; i < MAX_RUN_INTERVALS + 100; i++) r.add(i * 2, i * 2 + 1);
  t.equal(r.length, MAX_RUN_INTERVALS);
  t.equal(r.ends[r.length - 1], (MAX_RUN_INTERVALS + 99) * 2 + 1);
});
