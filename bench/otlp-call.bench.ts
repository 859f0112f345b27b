// otlp-call: the per-call cost of tracing. A warm Echo with no trace consumer,
// then with an OpenTelemetry tracer and a batch processor (as `--otlp` sets
// up; the in-memory exporter stands in for the network, which the batch
// processor keeps off the call path), then with the --trace tree collector.
// (--trace keeps every span of the run for the final tree, so its cost includes that.)
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Sandbox } from '../src/sandbox';
import { treeCollector } from '../src/observability/trace-tree';
import { addTraceConsumer } from '../src/observability/tracing';
import { otelConsumer } from '../src/observability/tracing-otel';
import { median, nowUs, type Row, simpleguest } from './lib';

async function echoMedian(sb: Sandbox, n: number): Promise<number> {
  for (let i = 0; i < 200; i++) await sb.call('Echo', ['warm']);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = nowUs();
    await sb.call('Echo', ['hello']);
    times.push(nowUs() - t0);
  }
  return median(times);
}

export async function benchTracing(n: number): Promise<Row[]> {
  const sb = await Sandbox.create(simpleguest);
  const off = await echoMedian(sb, n);
  // Accepts and forgets, like a network exporter after a send: nothing piles up in memory.
  const exporter: SpanExporter = {
    export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
    shutdown: async () => undefined,
  };
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })] });
  const stopOtel = addTraceConsumer(otelConsumer(provider.getTracer('hl')));
  const otel = await echoMedian(sb, n);
  stopOtel();
  await provider.shutdown();
  const stopTree = addTraceConsumer(treeCollector());
  const tree = await echoMedian(sb, n);
  stopTree();
  sb.dispose();
  return [
    { scenario: 'warm Echo, OpenTelemetry spans', hl: otel, baseline: off, baselineName: 'warm Echo, tracing off', unit: 'us' },
    { scenario: 'warm Echo, --trace collector', hl: tree, baseline: off, baselineName: 'warm Echo, tracing off', unit: 'us' },
  ];
}
