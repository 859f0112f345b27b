// Host memory a guest can grow: metric series, spans per call, log output per
// call. Hostile guests on real KVM push each one far past its limit; the host
// keeps a bounded amount and counts what it dropped.
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { MetricNames, setMetricsRegistry } from '../src/sandbox';
import { MAX_ERROR_SERIES } from '../src/observability/metrics';
import { MAX_GUEST_SPANS_PER_CALL, MAX_SPANS_PER_CALL } from '../src/observability/span-budget';
import { configureLogging } from '../src/observability/logging';
import { addTraceConsumer, type SpanData } from '../src/observability/tracing';
import { DEFAULT_MAX_LOG_BYTES } from '../src/sandbox/log-budget';
import { create } from './helpers';

/** A fresh registry hl records into for one test. */
function registry(t: Test): Registry {
  const r = new Registry();
  setMetricsRegistry(r);
  t.teardown(() => setMetricsRegistry(null));
  return r;
}

async function series(r: Registry, name: string) {
  return (await r.getSingleMetric(name)?.get())?.values ?? [];
}

async function folded(r: Registry, metric: string): Promise<number> {
  return (await series(r, MetricNames.seriesFolded)).find((v) => v.labels.metric === metric)?.value ?? 0;
}

// The most series guests can make in hyperlight_guest_error_count: 100 pairs,
// one (code, "(other)") per code among them, one ("(other)", "(other)"), and the unlabelled 0.
const ERROR_SERIES_BOUND = 2 * MAX_ERROR_SERIES + 2;

t.test('20,000 guest errors with fresh codes: error series stay bounded, folds are counted', async (t) => {
  const r = registry(t);
  const sb = await create();
  t.teardown(() => sb.dispose());
  const n = 20_000;
  for (let i = 0; i < n; i++) await sb.call('GuestError', [i, `fresh ${i}`]).catch(() => undefined);
  const errors = await series(r, MetricNames.guestErrors);
  t.ok(errors.length <= ERROR_SERIES_BOUND, `${errors.length} series for ${n} fresh codes (at most ${ERROR_SERIES_BOUND})`);
  t.equal(errors.reduce((sum, v) => sum + v.value, 0), n, 'every error is still counted');
  t.equal(await folded(r, MetricNames.guestErrors), n - MAX_ERROR_SERIES, 'the folds are counted');
  t.ok(errors.some((v) => v.labels.error_code === '(other)' && v.labels.error_message === '(other)'), 'new codes fold into (other)');
  t.ok((await r.metrics()).length < 64 * 1024, 'the /metrics page stays small');
});

t.test('2,000 aborts with fresh codes: the same bound (aborts count in the same metric)', async (t) => {
  const r = registry(t);
  const sb = await create();
  t.teardown(() => sb.dispose());
  const n = 2_000;
  let aborted = 0;
  for (let i = 0; i < n; i++) {
    if ((await sb.call('Abort', [i + 1]).catch((e: { code?: string }) => e.code)) === 'GUEST_ABORTED') aborted++;
    sb.restore();
  }
  t.equal(aborted, n, 'every call aborted');
  const errors = await series(r, MetricNames.guestErrors);
  t.ok(errors.length <= ERROR_SERIES_BOUND, `${errors.length} series for ${n} fresh abort codes`);
  t.equal(await folded(r, MetricNames.guestErrors), n - MAX_ERROR_SERIES);
});

t.test('guest text in labels is cut on code points and has no control characters', async (t) => {
  const r = registry(t);
  const sb = await create();
  t.teardown(() => sb.dispose());
  await sb.call('GuestError', [1, 'red\x1b[31m\r\nhl: error: forged\x07']).catch(() => undefined);
  await sb.call('GuestError', [2, 'a' + '😀'.repeat(200)]).catch(() => undefined);
  const errors = await series(r, MetricNames.guestErrors);
  const one = String(errors.find((v) => v.labels.error_code === '1')!.labels.error_message);
  t.equal(one, 'red\ufffd[31m\ufffd\ufffdhl: error: forged\ufffd');
  const two = String(errors.find((v) => v.labels.error_code === '2')!.labels.error_message);
  t.equal(Buffer.from(two, 'utf8').toString('utf8'), two, 'no lone surrogate from cutting inside an emoji');
  t.equal([...two].length, 120, '120 code points');
  t.notMatch(await r.metrics(), /\x1b|\r|\x07/, 'the exposition carries none of them');
});

/** Collects finished spans for one test. */
function spans(t: Test): SpanData[] {
  const done: SpanData[] = [];
  const stop = addTraceConsumer({ onStart() {}, onEnd: (s) => void done.push(s) });
  t.teardown(stop);
  return done;
}

t.test('20,000 VM exits in one traced call: spans bounded, the drop recorded on call', async (t) => {
  const done = spans(t);
  const sb = await create('hostile', { maxGuestLogsPerCall: 1, observer: { onGuestLog() {} } });
  t.teardown(() => sb.dispose());
  const before = sb.stats().vmExits;
  await sb.call('RawLogFlood', [20_000]);
  const exits = sb.stats().vmExits - before;
  t.ok(exits > 20_000, `${exits} exits`);
  const call = done.find((s) => s.name === 'call')!;
  const children = done.filter((s) => s.parent === call);
  t.equal(children.length, MAX_SPANS_PER_CALL, 'vcpu_run spans stop at the limit');
  t.equal(call.attributes['hl.spans_dropped'], exits - MAX_SPANS_PER_CALL, 'every exit past it is counted');
  t.equal(done.filter((s) => s.traceId === call.traceId).length, MAX_SPANS_PER_CALL + 1, 'the call\'s trace holds the call and the limit');
});

t.test('a guest that fills its trace buffer by hand: guest spans bounded, the drop recorded', async (t) => {
  const done = spans(t);
  const sb = await create('hostile');
  t.teardown(() => sb.dispose());
  const written = (await sb.call('SpanFlood')) as number;
  t.ok(written > MAX_GUEST_SPANS_PER_CALL, `${written} span records in the buffer`);
  const call = done.find((s) => s.name === 'call')!;
  t.equal(done.filter((s) => s.target === 'hyperlight_guest').length, MAX_GUEST_SPANS_PER_CALL);
  t.equal(call.attributes['hl.spans_dropped'], written - MAX_GUEST_SPANS_PER_CALL);
});

/** The embedder's logger, capturing JSON records; hl logs through it for one test. */
function logLines(t: Test, filter: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  configureLogging({ logger: pino({ level: 'trace' }, stream), filter });
  t.teardown(() => configureLogging({}));
  return lines;
}

t.test('a log flood of big records is capped in bytes, with one record saying what was dropped', async (t) => {
  const lines = logLines(t, 'hyperlight_guest=info,hyperlight_host::sandbox=warn');
  let bytes = 0;
  const caps: unknown[] = [];
  const sb = await create('hostile', { observer: { onGuestLog: (e) => void (bytes += Buffer.byteLength(e.message) + Buffer.byteLength(e.file)), onGuestLogsCapped: (e) => void caps.push(e) } });
  t.teardown(() => sb.dispose());
  await sb.call('BigLogFlood', [200, 60_000]); // 12 MB offered
  t.ok(bytes <= DEFAULT_MAX_LOG_BYTES, `${bytes} bytes delivered (at most ${DEFAULT_MAX_LOG_BYTES})`);
  t.ok(bytes > DEFAULT_MAX_LOG_BYTES - 61_000, 'up to the limit');
  const guestLines = lines.filter((l) => l.target === 'hyperlight_guest');
  t.ok(guestLines.reduce((n, l) => n + String(l.msg).length, 0) <= DEFAULT_MAX_LOG_BYTES, 'the logger got no more');
  t.same(caps, [{ limit: 10_000, limitBytes: DEFAULT_MAX_LOG_BYTES, reason: 'bytes' }]);
  const cap = lines.filter((l) => /capped/.test(String(l.msg)));
  t.equal(cap.length, 1, 'one record about the cap');
  t.equal(cap[0].delivered_bytes, bytes);
  t.equal(cap[0].delivered_records, guestLines.length);
  t.equal(cap[0].dropped_records, 1, 'the record that would pass the limit; the guest kept the rest');
  t.ok((cap[0].dropped_bytes as number) > 60_000);
  await sb.call('BigLogFlood', [2, 100]);
  t.equal(lines.filter((l) => l.target === 'hyperlight_guest').length, guestLines.length + 2, 'the next call logs again');
});

t.test('a raw guest that ignores the log level is capped in bytes by the host (maxGuestLogBytesPerCall)', async (t) => {
  const lines = logLines(t, 'hyperlight_host::sandbox=warn');
  let records = 0;
  let bytes = 0;
  const sb = await create('hostile', { maxGuestLogBytesPerCall: 4096, observer: { onGuestLog: (e) => void (records++, (bytes += Buffer.byteLength(e.message) + Buffer.byteLength(e.file))) } });
  t.teardown(() => sb.dispose());
  await sb.call('RawLogFlood', [1000]);
  t.ok(bytes <= 4096 && records > 0, `${records} records, ${bytes} bytes delivered`);
  const cap = lines.filter((l) => /capped/.test(String(l.msg)));
  t.equal(cap.length, 1);
  t.equal(cap[0].dropped_records, 1001 - records, 'every record the host dropped is counted');
  t.equal(cap[0].limit_bytes, 4096);
});

t.test('20,000 VM exits with vm tracing logged: at most 1,024 exit records per call', async (t) => {
  const lines = logLines(t, 'hyperlight_host::vm=trace');
  // The observer makes the guest send its one real record, which the raw writes then repeat.
  const sb = await create('hostile', { maxGuestLogsPerCall: 1, observer: { onGuestLog() {} } });
  t.teardown(() => sb.dispose());
  const before = lines.length; // init's exit is logged too
  await sb.call('RawLogFlood', [20_000]);
  const exits = lines.slice(before).filter((l) => l.target === 'hyperlight_host::vm' && String(l.msg).startsWith('vm exit'));
  t.equal(exits.length, 1024);
  t.match(String(exits.at(-1)!.msg), /further exits in this call are not logged/);
});
