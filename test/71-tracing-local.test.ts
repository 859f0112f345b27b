// Tracing without a collector: the --trace tree, span lifecycle as log records,
// the embedder's own OpenTelemetry context as parent, and nothing loaded when off.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import * as api from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import t from 'tap';
import { hl, simpleguest } from './helpers';
import { create } from './helpers';

const G = simpleguest;

t.test('--trace prints the span tree on stderr', async (t) => {
  const r = hl(['run', G, '--fn', 'Add', '--arg', '1', '--arg', '2', '--trace']);
  t.equal(r.status, 0);
  t.equal(r.stdout, '3\n');
  const lines = r.stderr.trim().split('\n');
  t.match(lines[0], /^trace [0-9a-f]{32}$/);
  t.match(lines[1], /^run \d+(\.\d+)?(µs|ms|s) guest=\S+ function=Add$/);
  t.ok(lines.some((l) => /^├─ call [\d.]+(µs|ms) function_name=Add$/.test(l)));
  t.ok(lines.some((l) => /^│  ├─ host_function [\d.]+(µs|ms) function_name=HostAdd$/.test(l)));
  t.ok(lines.some((l) => /^│  \s*└─ vcpu_run [\d.]+(µs|ms) exit=done$/.test(l)));
  t.ok(lines.some((l) => /^└─ dispose /.test(l)));
  const failed = hl(['run', G, '--fn', 'GuestError', '--arg', '9', '--arg', 'bad', '--trace']);
  t.match(failed.stderr, /├─ call [\d.]+(µs|ms) function_name=GuestError error: guest function GuestError returned error 9: bad/);
  const parented = hl(['run', G, '--fn', 'Echo', '--arg', 'x', '--trace'], { env: { TRACEPARENT: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
  t.match(parented.stderr, /^trace 4bf92f3577b34da6a3ce929d0e0e4736$/m, 'TRACEPARENT without a collector');
});

t.test('--trace with a filter that drops every span says so', async (t) => {
  const r = hl(['run', G, '--fn', 'Echo', '--arg', 'x', '--trace', '--log', 'error']);
  t.equal(r.status, 0);
  t.match(r.stderr, /^hl: warning: the log filter .* lets no hl span through/m);
});

t.test('span lifecycle as tracing::span log records when the filter asks', async (t) => {
  const r = hl(['run', G, '--fn', 'Echo', '--arg', 'x', '--log', 'tracing=info', '--log-format', 'json']);
  t.equal(r.status, 0);
  const recs = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
  t.ok(recs.some((x) => x.target === 'tracing::span' && x.msg === 'span call opened' && x.function_name === 'Echo'));
  const close = recs.find((x) => x.target === 'tracing::span' && x.msg === 'span call closed');
  t.type(close?.durationUs, 'number');
  t.notOk(recs.some((x) => x.msg === 'span vcpu_run opened'), 'trace-level spans stay out at info');
  t.equal(hl(['run', G, '--fn', 'Echo', '--arg', 'x']).stderr, '', 'nothing by default');
});

t.test('in the library, the embedder\'s active context is the parent', async (t) => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.trace.setGlobalTracerProvider(provider);
  const sb = await create();
  const tracer = api.trace.getTracer('embedder');
  await tracer.startActiveSpan('handle-request', async (parent) => {
    await sb.call('Echo', ['traced']);
    parent.end();
  });
  sb.dispose();
  const spans = exporter.getFinishedSpans();
  const parent = spans.find((s) => s.name === 'handle-request')!;
  const call = spans.find((s) => s.name === 'call')!;
  t.ok(call, 'hl found the global provider by itself');
  t.equal(call.parentSpanContext?.spanId, parent.spanContext().spanId, 'call is a child of the embedder span');
  t.equal(call.spanContext().traceId, parent.spanContext().traceId);
  t.equal(call.attributes.function_name, 'Echo');
  const run = spans.find((s) => s.name === 'vcpu_run' && s.parentSpanContext?.spanId === call.spanContext().spanId);
  t.ok(run, 'trace-level children under the call');
});
