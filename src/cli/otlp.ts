// otlp.ts: streams spans to an OTLP gRPC collector (@opentelemetry/sdk-trace-base
// + exporter-trace-otlp-grpc), loaded only for --otlp. The exporter honours the
// standard OTEL_EXPORTER_OTLP_* variables; the resource, OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES.
import { packageVersion } from '../package-root';
import type * as Api from '@opentelemetry/api';
import type { TraceConsumer } from '../observability/tracing';
import { usage } from '../errors';
import { FLUSH_BUDGET_MS, by } from './flush-deadline';

const VERSION = packageVersion();
/**
 * The longest one export may take: short enough that a silent collector fails
 * with the exporter's own message before the end of a run's flush deadline
 * (flush-deadline.ts). A smaller OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT wins; a
 * larger one is cut to this.
 */
export const EXPORT_TIMEOUT_MS = 1500;

export interface Otlp {
  consumer: TraceConsumer;
  /** Flushes and shuts down; resolves by `until` (a Date.now() value) with a warning, if any. */
  finish(until: number): Promise<string | undefined>;
}

/** The export timeout: the environment's (traces first, then general) if smaller than ours. */
export function exportTimeout(env: NodeJS.ProcessEnv = process.env): number {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']) {
    const value = env[name]?.trim();
    if (!value) continue;
    const ms = Number(value);
    return Number.isFinite(ms) && ms > 0 ? Math.min(ms, EXPORT_TIMEOUT_MS) : EXPORT_TIMEOUT_MS;
  }
  return EXPORT_TIMEOUT_MS;
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
    const u = new URL(url);
    if (!u.host || (u.protocol !== 'http:' && u.protocol !== 'https:')) throw new Error('not an OTLP endpoint');
  } catch {
    throw usage(`--otlp: "${endpoint}" is not an endpoint: HOST:PORT, http://HOST:PORT or https://HOST:PORT (examples: localhost:4317, https://collector:4317)`);
  }
  // Always given explicitly (it then overrides the environment's): a silent collector must not hold the exit.
  const timeoutMillis = exportTimeout();
  const exporter = new OTLPTraceExporter({ url, timeoutMillis });
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
  const processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500, exportTimeoutMillis: timeoutMillis });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const tracer = provider.getTracer('hl', VERSION);

  // W3C trace context from the environment (OpenTelemetry's env carriers), read once.
  const carrier: Record<string, string> = {};
  if (process.env.TRACEPARENT) carrier.traceparent = process.env.TRACEPARENT;
  if (process.env.TRACESTATE) carrier.tracestate = process.env.TRACESTATE;
  const root = new W3CTraceContextPropagator().extract(api.ROOT_CONTEXT, carrier, api.defaultTextMapGetter);

  return {
    consumer: otelConsumer(tracer, () => root),
    async finish(until: number) {
      const done = provider.shutdown().then(
        () => 'ok' as const,
        (err: Error) => {
          failure ??= err?.message ?? String(err);
          return 'failed' as const;
        },
      );
      const outcome = await by(done, until);
      if (outcome === 'late') return `spans not delivered to ${url} within ${FLUSH_BUDGET_MS / 1000} s (is a collector listening?)`;
      return failure ? `span export to ${url} failed: ${failure}` : undefined;
    },
  };
}
