// otlp.ts: streams spans to an OTLP collector (@opentelemetry/sdk-trace-base
// with OpenTelemetry's own exporter for the protocol: gRPC, http/protobuf or
// http/json), loaded only for --otlp. What the environment says (endpoint,
// TLS, protocol, batch settings) is read by otel-env.ts; the exporters read
// the headers, certificates and compression themselves.
import { packageVersion } from '../package-root';
import type * as Api from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TraceConsumer } from '../observability/tracing';
import { FLUSH_BUDGET_MS, by } from './flush-deadline';
import { type OtlpSettings, exportFailureText } from './otel-env';

export { EXPORT_TIMEOUT_MS, exportTimeout } from './otel-env';

const VERSION = packageVersion();

export interface Otlp {
  consumer: TraceConsumer;
  /** Flushes and shuts down; resolves by `until` (a Date.now() value) with the warnings, if any. */
  finish(until: number): Promise<string[]>;
}

type Exporting = Extract<OtlpSettings, { export: true }>;

function exporterFor(s: Exporting): SpanExporter {
  const options = { url: s.url, timeoutMillis: s.timeoutMillis };
  switch (s.protocol) {
    case 'grpc': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc');
      return new OTLPTraceExporter(options);
    }
    case 'http/protobuf': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter(options);
    }
    case 'http/json': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter(options);
    }
  }
}

export function startOtlp(s: Exporting): Otlp {
  const api = require('@opentelemetry/api') as typeof Api;
  const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { defaultResource, resourceFromAttributes, detectResources, envDetector } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { otelConsumer } = require('../observability/tracing-otel') as typeof import('../observability/tracing-otel');

  // TLS to an IP address (https://10.0.0.5:4317) makes Node print a deprecation warning (DEP0123, a
  // server name that is an IP) on stderr, outside hl's one-line warnings; the user can do nothing about it.
  if (s.secure) process.noDeprecation = true;
  const exporter = exporterFor(s);
  let failure: string | undefined;
  const send = exporter.export.bind(exporter);
  exporter.export = (spans, done) =>
    send(spans, (result) => {
      if (result.code !== 0) failure ??= exportFailureText(result.error ?? 'export failed');
      done(result);
    });

  /** The batch processor, counting what a full queue drops (its own count is private and logged only at debug). */
  class CountingProcessor extends BatchSpanProcessor {
    dropped = 0;
    override onEnd(span: Parameters<InstanceType<typeof BatchSpanProcessor>['onEnd']>[0]): void {
      const self = this as unknown as { _finishedSpans: unknown[]; _maxQueueSize: number };
      if (self._finishedSpans.length >= self._maxQueueSize) this.dropped++;
      super.onEnd(span);
    }
  }

  // The SDK's telemetry.sdk.*, then hl's service, then the environment's (OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win).
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'hl', 'service.version': VERSION }))
    .merge(detectResources({ detectors: [envDetector] }));
  const processor = new CountingProcessor(exporter, { ...s.bsp });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const tracer = provider.getTracer('hl', VERSION);

  // W3C trace context from the environment (OpenTelemetry's env carriers), read once.
  const carrier: Record<string, string> = {};
  if (process.env.TRACEPARENT) carrier.traceparent = process.env.TRACEPARENT;
  if (process.env.TRACESTATE) carrier.tracestate = process.env.TRACESTATE;
  const root = new W3CTraceContextPropagator().extract(api.ROOT_CONTEXT, carrier, api.defaultTextMapGetter);
  const shown = s.protocol === 'grpc' ? s.url : s.url.replace(/\/v1\/traces$/, '');

  return {
    consumer: otelConsumer(tracer, () => root),
    async finish(until: number) {
      const done = provider.shutdown().then(
        () => 'ok' as const,
        (err: unknown) => {
          failure ??= exportFailureText(err);
          return 'failed' as const;
        },
      );
      const outcome = await by(done, until);
      const warnings: string[] = [];
      if (processor.dropped > 0)
        warnings.push(
          `${processor.dropped} span${processor.dropped === 1 ? '' : 's'} dropped: the export queue (${s.bsp.maxQueueSize}) was full; raise it with OTEL_BSP_MAX_QUEUE_SIZE`,
        );
      if (outcome === 'late') warnings.push(`spans not delivered to ${shown} within ${FLUSH_BUDGET_MS / 1000} s (is a collector listening?)`);
      else if (failure) warnings.push(`span export to ${shown} failed: ${failure}`);
      return warnings;
    },
  };
}
