// hl-test: slow
// Traces to a real OTLP/gRPC collector (test/otlp-collector.ts, decoding with
// the official message definitions): names, nesting, attributes, errors,
// TRACEPARENT, resource, streaming, and unreachable or silent collectors.
import t from 'tap';
import { EXPORT_TIMEOUT_MS, exportTimeout } from '../src/cli/otlp';
import { hlAsync, simpleguest, hangGuard } from './helpers';
import { type CollectedSpan, startCollector, startSilentPeer } from './otlp-collector';

const G = simpleguest;
const byName = (spans: CollectedSpan[], name: string) => spans.filter((s) => s.name === name);

t.test('one well-formed trace for a run with a host call', async (t) => {
  const c = await startCollector();
  t.teardown(() => c.stop());
  const r = await hlAsync(['run', G, '--fn', 'Add', '--arg', '2', '--arg', '3', '--otlp', c.endpoint, '--json']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '', 'no warning');
  const out = JSON.parse(r.stdout);
  t.equal(out.result, 5);
  await c.waitFor((s) => s.some((x) => x.name === 'run'));
  const spans = c.spans;
  t.same(new Set(spans.map((s) => s.traceId)), new Set([out.traceId]), '--json names the one trace of the run');
  const names = spans.map((s) => s.name);
  for (const n of ['run', 'new', 'load_image', 'setup_memory', 'guest_init', 'snapshot', 'call', 'vcpu_run', 'host_function', 'dispose']) t.ok(names.includes(n), `span ${n}`);
  const run = byName(spans, 'run')[0];
  const call = byName(spans, 'call')[0];
  const host = byName(spans, 'host_function')[0];
  const create = byName(spans, 'new')[0];
  t.equal(run.parentSpanId, '', 'run is the root');
  t.equal(call.parentSpanId, run.spanId, 'call is a child of run');
  t.equal(create.parentSpanId, run.spanId);
  t.equal(host.parentSpanId, call.spanId, 'the host call is inside the guest call');
  t.ok(byName(spans, 'vcpu_run').filter((s) => s.parentSpanId === call.spanId).length === 2, 'two vCPU runs around the host call');
  t.equal(byName(spans, 'guest_init')[0].parentSpanId, create.spanId);
  t.equal(call.attributes.function_name, 'Add');
  t.equal(host.attributes.function_name, 'HostAdd');
  t.equal(call.attributes['hl.level'], 'info');
  t.equal(byName(spans, 'vcpu_run')[0].attributes['hl.level'], 'trace');
  t.ok(host.startNs >= call.startNs && host.endNs <= call.endNs, 'children fit inside their parent');
  t.equal(run.resource['service.name'], 'hl');
  t.match(String(run.resource['service.version']), /^\d+\.\d+\.\d+/);
  t.equal(run.scope, 'hl');
  t.equal(call.status.code, 0);
});

t.test('errors set the status and record an exception event; cancellation says so', async (t) => {
  const c = await startCollector();
  t.teardown(() => c.stop());
  const crash = await hlAsync(['run', G, '--fn', 'ReadNull', '--otlp', c.endpoint]);
  t.equal(crash.status, 134);
  await c.waitFor((s) => s.some((x) => x.name === 'run'));
  const call = byName(c.spans, 'call')[0];
  t.equal(call.status.code, 2, 'STATUS_CODE_ERROR');
  t.match(call.status.message, /null pointer/);
  const ev = call.events.find((e) => e.name === 'exception');
  t.equal(ev?.attributes['exception.type'], 'GUEST_FAULT');
  t.match(String(ev?.attributes['exception.message']), /null pointer/);
  t.equal(byName(c.spans, 'run')[0].status.code, 2, 'the run failed too');
  t.equal(c.spans.flatMap((s) => s.events).filter((e) => e.name === 'exception').length, 1, 'one exception, recorded once: on call, not again on run');
  t.match(call.resource, { 'telemetry.sdk.name': 'opentelemetry', 'telemetry.sdk.language': 'nodejs' });
  c.spans.length = 0;
  const spin = await hlAsync(['run', G, '--fn', 'Spin', '--timeout', `${hangGuard(200)}ms`, '--otlp', c.endpoint]); // under emulation, past OpenTelemetry's loading
  t.equal(spin.status, 124);
  await c.waitFor((s) => s.some((x) => x.name === 'run'));
  const cancelled = byName(c.spans, 'call')[0];
  t.equal(cancelled.status.code, 2);
  t.equal(cancelled.attributes['hl.cancelled'], true);
});

t.test('TRACEPARENT makes the run a child of the caller; the resource comes from the environment', async (t) => {
  const c = await startCollector();
  t.teardown(() => c.stop());
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parent = '00f067aa0ba902b7';
  const r = await hlAsync(['run', G, '--fn', 'Echo', '--arg', 'x', '--otlp', c.endpoint, '--json'], {
    TRACEPARENT: `00-${traceId}-${parent}-01`,
    OTEL_SERVICE_NAME: 'nightly-batch',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
  });
  t.equal(r.status, 0, r.stderr);
  t.equal(JSON.parse(r.stdout).traceId, traceId);
  await c.waitFor((s) => s.some((x) => x.name === 'run'));
  const run = byName(c.spans, 'run')[0];
  t.equal(run.traceId, traceId);
  t.equal(run.parentSpanId, parent);
  t.ok(c.spans.every((s) => s.traceId === traceId));
  t.equal(run.resource['service.name'], 'nightly-batch');
  t.equal(run.resource['deployment.environment'], 'test');
});

t.test('spans stream while a long run goes on', async (t) => {
  const c = await startCollector();
  t.teardown(() => c.stop());
  // The guest spins until --timeout; the span of the sandbox's creation must arrive before that (a hang guard, not a timing check).
  const running = hlAsync(['run', G, '--fn', 'Spin', '--timeout', `${hangGuard(20_000)}ms`, '--otlp', c.endpoint], {}, 60_000);
  let exited = false;
  void running.then(() => (exited = true));
  const arrived = await c.waitFor((s) => s.some((x) => x.name === 'new'), hangGuard(18_000));
  t.ok(arrived && !exited, 'the sandbox creation span arrived while the guest was still running');
  t.equal((await running).status, 124);
});

t.test('the log filter filters spans too', async (t) => {
  const c = await startCollector();
  t.teardown(() => c.stop());
  const r = await hlAsync(['run', G, '--fn', 'Echo', '--arg', 'x', '--otlp', c.endpoint, '--log', 'hyperlight_host=info']);
  t.equal(r.status, 0);
  await c.waitFor((s) => s.some((x) => x.name === 'run'));
  const names = new Set(c.spans.map((s) => s.name));
  t.ok(names.has('call') && names.has('run'));
  t.notOk(names.has('vcpu_run'), 'trace-level spans filtered out');
});

t.test('no collector: one warning, the result and exit code unchanged', async (t) => {
  const r = await hlAsync(['run', G, '--fn', 'Echo', '--arg', 'x', '--otlp', '127.0.0.1:9'], {}, 20_000);
  t.equal(r.status, 0);
  t.equal(r.stdout, 'x\n');
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 1, r.stderr);
  t.match(lines[0], /^hl: warning: span export to http:\/\/127\.0\.0\.1:9 failed/);
});

t.test('a silent collector delays exit by the flush budget at most', async (t) => {
  const peer = await startSilentPeer();
  t.teardown(peer.stop);
  const r = await hlAsync(['run', G, '--fn', 'GuestError', '--arg', '3', '--arg', 'x', '--otlp', peer.endpoint], {}, 20_000);
  t.equal(r.status, 3, 'the exit code is the run\'s');
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('hl: warning:'));
  t.equal(warnings.length, 1, r.stderr);
  t.match(warnings[0], /not delivered|failed/);
});

t.test('the flush bound holds whatever the environment says: silent collector and silent Pushgateway', async (t) => {
  const collector = await startSilentPeer(); // accepts TCP, never answers
  const gateway = await startSilentPeer();
  t.teardown(() => (collector.stop(), gateway.stop()));
  const args = ['run', G, '--fn', 'Echo', '--arg', 'x'];
  const baseline = (await hlAsync(args)).status; // 0 on a machine with KVM
  const env = { OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '60000', OTEL_EXPORTER_OTLP_TIMEOUT: '60000' };
  // A hang guard, not a timing check: the environment asks for 60 s; hl is killed at 20 s.
  const r = await hlAsync([...args, '--otlp', collector.endpoint, '--metrics-push', `http://${gateway.endpoint}`], env, 20_000);
  t.not(r.status, null, 'hl ended on its own, long before the environment\'s 60 s');
  t.equal(r.status, baseline, 'the exit code is the run\'s');
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('hl: warning:'));
  t.equal(warnings.length, 2, r.stderr);
  t.match(warnings.join('\n'), /span export to http:\/\/127\.0\.0\.1:\d+ failed|spans not delivered/);
  t.match(warnings.join('\n'), /metrics push to http:\/\/127\.0\.0\.1:\d+ failed/);
});

t.test('the export timeout: the environment\'s when smaller, else the bound\'s', async (t) => {
  t.equal(exportTimeout({}), EXPORT_TIMEOUT_MS);
  t.equal(exportTimeout({ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '60000' }), EXPORT_TIMEOUT_MS, 'a larger one is cut');
  t.equal(exportTimeout({ OTEL_EXPORTER_OTLP_TIMEOUT: '300' }), 300, 'a smaller one wins');
  t.equal(exportTimeout({ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '200', OTEL_EXPORTER_OTLP_TIMEOUT: '900' }), 200, 'the traces variable first');
  t.equal(exportTimeout({ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: 'soon' }), EXPORT_TIMEOUT_MS, 'nonsense is ignored');
});
