// otlp.ts: streams spans to an OTLP gRPC collector (@opentelemetry/sdk-trace-base
// + exporter-trace-otlp-grpc), loaded only for --otlp. The exporter honours the
// standard OTEL_EXPORTER_OTLP_* variables; the resource, OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES.
import { packageVersion } from '../package-root';
import type * as Api from '@opentelemetry/api';
import type { TraceConsumer } from '../observability/tracing';
import { usage } from '../sandbox/errors';

const VERSION = packageVersion();
/** How long the end of a run may wait for the collector. */
export const FLUSH_BUDGET_MS = 2000;

export interface Otlp {
  consumer: TraceConsumer;
  /** Flushes and shuts down; resolves within FLUSH_BUDGET_MS with a warning, if any. */
  finish(): Promise<string | undefined>;
}

/** "localhost:4317" means plaintext http://; a scheme is kept (https:// means TLS). */
export function otlpUrl(endpoint: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
}

export function startOtlp(endpoint: string): Otlp {
  const api = require('@opentelemetry/api') as typeof Api;
  const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc');
  const { resourceFromAttributes, detectResources, envDetector } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { otelConsumer } = require('../observability/tracing-otel') as typeof import('../observability/tracing-otel');

  const url = otlpUrl(endpoint);
  try {
    if (!new URL(url).host) throw new Error('no host');
  } catch {
    throw usage(`--otlp: "${endpoint}" is not an endpoint (examples: localhost:4317, https://collector:4317)`);
  }
  // A short export timeout, unless the user set one: a silent collector must not hold the exit for 10 s.
  const timeoutMillis = process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TIMEOUT ? undefined : 1500;
  const exporter = new OTLPTraceExporter({ url, ...(timeoutMillis ? { timeoutMillis } : {}) });
  let failure: string | undefined;
  const send = exporter.export.bind(exporter);
  exporter.export = (spans, done) =>
    send(spans, (result) => {
      if (result.code !== 0) failure ??= (result.error?.message ?? 'export failed').split('\n')[0].replace(/\.? *(Last error|Resolution note):.*$/, '');
      done(result);
    });
  // Defaults first, then the environment's: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
  const resource = resourceFromAttributes({ 'service.name': 'hl', 'service.version': VERSION }).merge(detectResources({ detectors: [envDetector] }));
  // Spans stream while a long run goes on: a batch goes out every half second.
  const processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500, exportTimeoutMillis: 1500 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const tracer = provider.getTracer('hl', VERSION);

  // W3C trace context from the environment (OpenTelemetry's env carriers), read once.
  const carrier: Record<string, string> = {};
  if (process.env.TRACEPARENT) carrier.traceparent = process.env.TRACEPARENT;
  if (process.env.TRACESTATE) carrier.tracestate = process.env.TRACESTATE;
  const root = new W3CTraceContextPropagator().extract(api.ROOT_CONTEXT, carrier, api.defaultTextMapGetter);

  return {
    consumer: otelConsumer(tracer, () => root),
    async finish() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), FLUSH_BUDGET_MS)));
      const done = provider.shutdown().then(
        () => 'ok' as const,
        (err: Error) => {
          failure ??= err?.message ?? String(err);
          return 'failed' as const;
        },
      );
      const outcome = await Promise.race([done, late]);
      clearTimeout(timer);
      if (outcome === 'late') return `spans not delivered to ${url} within ${FLUSH_BUDGET_MS / 1000} s (is a collector listening?)`;
      return failure ? `span export to ${url} failed: ${failure}` : undefined;
    },
  };
}
