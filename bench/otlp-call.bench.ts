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
import { echoMedianUs, type Row, simpleguest } from './lib';

export async function benchTracing(n: number): Promise<Row[]> {
  const sb = await Sandbox.create(simpleguest);
  const off = await echoMedianUs(sb, n);
  // Accepts and forgets, like a network exporter after a send: nothing piles up in memory.
  const exporter: SpanExporter = {
    export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
    shutdown: async () => undefined,
  };
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })] });
  const stopOtel = addTraceConsumer(otelConsumer(provider.getTracer('hl')));
  const otel = await echoMedianUs(sb, n);
  stopOtel();
  await provider.shutdown();
  const stopTree = addTraceConsumer(treeCollector());
  const tree = await echoMedianUs(sb, n);
  stopTree();
  sb.dispose();
  return [
    { scenario: 'warm Echo, OpenTelemetry spans', hl: otel, baseline: off, baselineName: 'warm Echo, tracing off', unit: 'us' },
    { scenario: 'warm Echo, --trace collector', hl: tree, baseline: off, baselineName: 'warm Echo, tracing off', unit: 'us' },
  ];
}
