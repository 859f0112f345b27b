// hl-test: no-kvm
// The budgets that bound what a guest can make the host keep, without KVM:
// metric series fed through the metrics observer as a sandbox feeds it, the
// span budget, the log budget. test/28-sandbox-growth drives the same bounds
// with hostile guests on real KVM.
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { ErrorCode, GuestError, HlError, MetricNames, setMetricsRegistry } from '../src/sandbox';
import { MAX_ERROR_SERIES, MAX_FUNCTION_SERIES, metricsObserver } from '../src/observability/metrics';
import { labelValue } from '../src/observability/series-limit';
import { SpanBudget, reportDropped } from '../src/observability/span-budget';
import { addTraceConsumer, type SpanData, startSpan } from '../src/observability/tracing';
import { Level } from '../src/observability/log-filter';
import { LogBudget } from '../src/sandbox/log-budget';

function observe(t: Test) {
  const registry = new Registry();
  setMetricsRegistry(registry);
  t.teardown(() => setMetricsRegistry(null));
  return { registry, o: metricsObserver(false, new Set())! };
}

async function values(r: Registry, name: string) {
  return (await r.getSingleMetric(name)?.get())?.values ?? [];
}

const aborted = (code: number) => new HlError(ErrorCode.GuestAborted, 'aborted', { guestCode: code, guestMessage: 'guest called Abort' });

t.test('20,000 fresh error codes and 20,000 fresh abort codes: at most 2 x 100 + 2 series', async (t) => {
  const { registry, o } = observe(t);
  o.onCallEnd!({ fn: 'F', durationUs: 1, error: new GuestError(-7, 'first', 'F') });
  for (let i = 0; i < 20_000; i++) o.onCallEnd!({ fn: 'F', durationUs: 1, error: new GuestError(i, `m${i}`, 'F') });
  o.onCallEnd!({ fn: 'F', durationUs: 1, error: new GuestError(-7, 'later', 'F') });
  for (let i = 0; i < 20_000; i++) o.onCallEnd!({ fn: 'F', durationUs: 1, error: aborted(100_000 + i) });
  const errors = await values(registry, MetricNames.guestErrors);
  t.ok(errors.length <= 2 * MAX_ERROR_SERIES + 2, `${errors.length} series`);
  t.equal(errors.reduce((n, v) => n + v.value, 0), 40_002, 'nothing is lost from the total');
  const folded = (await values(registry, MetricNames.seriesFolded)).find((v) => v.labels.metric === MetricNames.guestErrors);
  t.equal(folded?.value, 40_002 - MAX_ERROR_SERIES);
  t.equal(errors.find((v) => v.labels.error_code === '-7' && v.labels.error_message === '(other)')?.value, 1, 'a code with a series keeps its code when a new message folds');
});

t.test('function_name series of the call histograms are bounded', async (t) => {
  const r = new Registry();
  setMetricsRegistry(r);
  t.teardown(() => setMetricsRegistry(null));
  const o = metricsObserver(true, new Set(['HostAdd']))!;
  for (let i = 0; i < MAX_FUNCTION_SERIES + 500; i++) {
    o.onCallEnd!({ fn: `GuestFn${i}`, durationUs: 40 });
    o.onHostCall!({ fn: `Made${i}`, durationUs: 5 });
  }
  const counts = (await values(r, MetricNames.guestCallDuration)).filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count'));
  t.equal(counts.length, MAX_FUNCTION_SERIES + 2, 'the limit, plus (other), plus the unlabelled zero series');
  t.equal(counts.find((v) => v.labels.function_name === undefined)?.value, 0);
  t.equal(counts.find((v) => v.labels.function_name === '(other)')?.value, 500);
  t.equal((await values(r, MetricNames.seriesFolded)).find((v) => v.labels.metric === MetricNames.guestCallDuration)?.value, 500);
  const host = (await values(r, MetricNames.hostCallDuration)).filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count'));
  t.same(host.map((v) => v.labels.function_name), [undefined, '(unknown)'], 'names only a guest made up are one series (beside the unlabelled zero)');
});

t.test('label values: control characters replaced, cut on whole code points', async (t) => {
  const { registry, o } = observe(t);
  o.onCallEnd!({ fn: 'F', durationUs: 1, error: new GuestError(3, '\x1b]0;pwned\x07\nhl: error: x', 'F') });
  const v = (await values(registry, MetricNames.guestErrors)).find((x) => x.labels.error_code === '3');
  t.equal(v?.labels.error_message, '\ufffd]0;pwned\ufffd\ufffdhl: error: x');
  // The same set the CLI escapes (src/inert-text.ts): bidi marks and invisible characters too; joiners kept.
  t.equal(labelValue('a\u200eb\u200fc\u061cd\ufeffe\ufff9f\u202eg\u2067h\u200bi\u{e0041}j\u2028k'), 'a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg\ufffdh\ufffdi\ufffdj\ufffdk');
  t.equal(labelValue('👨\u200d👩 ❤\ufe0f'), '👨\u200d👩 ❤\ufe0f', 'emoji sequences kept');
  const cut = labelValue('a' + '😀'.repeat(200));
  t.equal([...cut].length, 120);
  t.equal(Buffer.from(cut).toString(), cut, 'no lone surrogate');
});

t.test('a span budget records up to its limit, then counts drops on the parent', async (t) => {
  const done: SpanData[] = [];
  t.teardown(addTraceConsumer({ onStart() {}, onEnd: (s) => void done.push(s) }));
  const call = startSpan('call', Level.info, 'test');
  const budget = new SpanBudget(call, 3);
  for (let i = 0; i < 10; i++) budget.child('vcpu_run', Level.trace, 'test').end();
  const guest = new SpanBudget(call, 2);
  t.same([guest.take(), guest.take(), guest.take()], [true, true, false]);
  reportDropped(call, budget, guest);
  call.end();
  t.equal(done.filter((s) => s.name === 'vcpu_run').length, 3);
  t.equal(done.find((s) => s.name === 'call')?.attributes['hl.spans_dropped'], 8);
});

t.test('no consumer: a span budget does no work and reports nothing', async (t) => {
  const call = startSpan('call', Level.info, 'test');
  const budget = new SpanBudget(call, 1);
  for (let i = 0; i < 5; i++) budget.child('vcpu_run', Level.trace, 'test');
  t.equal(budget.dropped, 0);
});

t.test('a log budget: records and bytes, the byte limit never passed', async (t) => {
  const b = new LogBudget(10, 100);
  t.same([b.take(60), b.take(30), b.take(20), b.take(1)], [true, true, false, false]);
  t.same({ records: b.records, bytes: b.bytes, droppedRecords: b.droppedRecords, droppedBytes: b.droppedBytes, capped: b.capped }, { records: 2, bytes: 90, droppedRecords: 2, droppedBytes: 21, capped: 'bytes' });
  const r = new LogBudget(2, 1000);
  t.same([r.take(1), r.take(1), r.take(1)], [true, true, false]);
  t.equal(r.capped, 'records');
  const none = new LogBudget(0, 1000);
  t.equal(none.take(1), false, 'a limit of 0 delivers nothing');
  const huge = new LogBudget(10, 100);
  t.equal(huge.take(101), false, 'one record bigger than the budget is dropped');
});
