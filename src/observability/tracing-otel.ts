// tracing-otel.ts: hands hl's spans to an OpenTelemetry tracer. Loaded only
// when one is in use (the embedder's global provider, or `hl run --otlp`).
import { packageVersion } from '../package-root';
import * as api from '@opentelemetry/api';
import { levelName } from './log-filter';
import type { SpanData, TraceConsumer } from './tracing';

const VERSION = packageVersion();

/**
 * `tracer`: default the global provider's. `root`: the context root spans are
 * children of; default the active context at the time of the API call.
 */
export function otelConsumer(tracer: api.Tracer = api.trace.getTracer('hl', VERSION), root: () => api.Context = () => api.context.active()): TraceConsumer {
  return {
    rootParent() {
      const sc = api.trace.getSpanContext(root());
      return sc && api.isSpanContextValid(sc) ? { traceId: sc.traceId, spanId: sc.spanId } : undefined;
    },
    onStart(s: SpanData) {
      const parent = s.parent?.otel ? api.trace.setSpan(root(), s.parent.otel as api.Span) : root();
      s.otel = tracer.startSpan(s.name, { startTime: s.startMs, kind: api.SpanKind.INTERNAL, attributes: { 'hl.target': s.target, 'hl.level': levelName(s.level) } }, parent);
    },
    onEnd(s: SpanData) {
      const span = s.otel as api.Span | undefined;
      if (!span) return;
      span.setAttributes(s.attributes);
      for (const e of s.events) span.addEvent(e.name, e.attributes, e.timeMs);
      if (s.status.code === 'error') span.setStatus({ code: api.SpanStatusCode.ERROR, message: s.status.message });
      span.end(s.endMs);
    },
  };
}

/** The OpenTelemetry ids of a span hl handed over, for log correlation and --json. */
export function otelIds(s: SpanData): { traceId: string; spanId: string } | undefined {
  const span = s.otel as api.Span | undefined;
  if (!span) return undefined;
  const sc = span.spanContext();
  return { traceId: sc.traceId, spanId: sc.spanId };
}
