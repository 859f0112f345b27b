// An embedder that exports traces to an OpenTelemetry collector over OTLP/gRPC
// and makes hl's spans children of its own, as Hyperlight's otlp example does.
// Start a collector (for example Jaeger, see the README), then run:
//   node dist/examples/otlp_tracing/index.js [endpoint]     (default localhost:4317)
import * as path from 'node:path';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Sandbox, guestsPath } from '../../src/sandbox';

async function main(): Promise<void> {
  const endpoint = process.argv[2] ?? 'localhost:4317';
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'hl-otlp-example' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint.includes('://') ? endpoint : `http://${endpoint}` }))],
  });
  // hl finds a registered global provider by itself and parents its spans on the active context.
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.trace.setGlobalTracerProvider(provider);

  const tracer = api.trace.getTracer('example');
  const guest = path.join(guestsPath(), 'simpleguest.bin'); // the package's sample guests, wherever it is installed
  await tracer.startActiveSpan('process-batch', async (batch) => {
    const sandbox = await Sandbox.create(guest);
    for (let i = 0; i < 3; i++) await sandbox.call('Echo', [`item ${i}`]);
    await sandbox.call('Traced', [2]);
    sandbox.dispose();
    console.log(`trace ${batch.spanContext().traceId}`);
    batch.end();
  });
  await provider.shutdown(); // flush before exit
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
