// tracing.ts: hl's spans. A span for every public API call (info) and
// trace-level spans inside, handed to whichever consumers are active: an
// OpenTelemetry tracer (tracing-otel.ts, loaded only then), a tree collector
// (`hl run --trace`), or log records under `tracing::span`. With no consumer,
// every span is one shared no-op object: the call path does no tracing work.
import { Level, type LevelValue } from './log-filter';
import { currentFilter, emit } from './logging';

export type AttrValue = string | number | boolean;
export type Attrs = Record<string, AttrValue>;

export interface SpanEvent {
  name: string;
  timeMs: number;
  attributes?: Attrs;
}

/** What a consumer sees of a span. Times are Unix epoch milliseconds (fractional). */
export interface SpanData {
  readonly name: string;
  readonly level: LevelValue;
  readonly target: string;
  readonly attributes: Attrs;
  readonly events: SpanEvent[];
  readonly startMs: number;
  readonly endMs: number | undefined;
  readonly status: { code: 'unset' | 'ok' | 'error'; message?: string };
  readonly parent: SpanData | undefined;
  readonly traceId: string;
  readonly spanId: string;
  /** Set by the OpenTelemetry consumer: its span, for children to attach to. */
  otel?: unknown;
}

export interface TraceConsumer {
  onStart(span: SpanData): void;
  onEnd(span: SpanData): void;
  /** The trace and parent span a root span continues (TRACEPARENT, the embedder's context). */
  rootParent?(): { traceId: string; spanId: string } | undefined;
}

/** A span as instrumented code holds it. */
export interface Span {
  readonly recording: boolean;
  setAttribute(key: string, value: AttrValue): void;
  addEvent(name: string, attributes?: Attrs, timeMs?: number): void;
  /** Error status plus an `exception` event (the event only on the first span an error object reaches). */
  recordError(err: unknown): void;
  child(name: string, level: LevelValue, target: string, attributes?: Attrs, startMs?: number): Span;
  end(endMs?: number): void;
  readonly traceId: string | undefined;
}

const consumers: TraceConsumer[] = [];

export function addTraceConsumer(c: TraceConsumer): () => void {
  consumers.push(c);
  return () => {
    const i = consumers.indexOf(c);
    if (i >= 0) consumers.splice(i, 1);
  };
}

export function tracingActive(): boolean {
  return consumers.length > 0 || autoOtel();
}

/** Random ids the way OpenTelemetry JS makes them (Math.random): cheap, not secret. */
function randomHex(chars: number): string {
  let out = '';
  while (out.length < chars) out += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return out.slice(0, chars);
}

/** Milliseconds since the Unix epoch with sub-millisecond precision. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

const NOOP: Span = {
  recording: false,
  traceId: undefined,
  setAttribute() {},
  addEvent() {},
  recordError() {},
  child() {
    return NOOP;
  },
  end() {},
};

/** The span of nothing: what startSpan returns when no one consumes spans. */
export const noopSpan: Span = NOOP;

/**
 * Spans use the log filter when the user gave one; otherwise every hl span is
 * recorded. When the only consumer is the tracing::span log, that target's
 * level decides (as with Rust's tracing `log` feature).
 */
function spanEnabled(target: string, level: LevelValue, logOnly: boolean): boolean {
  const f = currentFilter();
  if (logOnly) return f.enabled(SPAN_LOG_TARGET, level);
  return f.isDefault ? true : f.enabled(target, level);
}

/** Errors already recorded as an `exception` event on some span. */
const recorded = new WeakSet<object>();

class RecordingSpan implements Span, SpanData {
  readonly recording = true;
  readonly events: SpanEvent[] = [];
  endMs: number | undefined;
  status: SpanData['status'] = { code: 'unset' };
  traceId: string;
  spanId: string;
  otel?: unknown;

  constructor(
    readonly name: string,
    readonly level: LevelValue,
    readonly target: string,
    readonly attributes: Attrs,
    readonly parent: RecordingSpan | undefined,
    readonly startMs: number,
    private readonly sinks: TraceConsumer[],
    root?: { traceId: string; spanId: string },
  ) {
    this.traceId = parent?.traceId ?? root?.traceId ?? randomHex(32);
    this.spanId = randomHex(16);
    if (!parent && root) this.remoteParentSpanId = root.spanId;
    for (const s of sinks) s.onStart(this);
    // An OpenTelemetry consumer chose the ids: use them, so every consumer agrees.
    const ids = (this.otel as { spanContext?: () => { traceId: string; spanId: string } } | undefined)?.spanContext?.();
    if (ids) {
      this.traceId = ids.traceId;
      this.spanId = ids.spanId;
    }
  }

  /** The caller's span id when the root continues a remote trace. */
  remoteParentSpanId?: string;

  setAttribute(key: string, value: AttrValue): void {
    this.attributes[key] = value;
  }

  addEvent(name: string, attributes?: Attrs, timeMs = nowMs()): void {
    this.events.push({ name, timeMs, attributes });
  }

  recordError(err: unknown): void {
    const e = err as { name?: string; message?: string; code?: string; stack?: string };
    const message = e?.message ?? String(err);
    this.status = { code: 'error', message };
    if (e?.code === 'CANCELLED') this.setAttribute('hl.cancelled', true);
    // One exception, one event: on the span where it happened. The spans it then
    // passes through (call, then run) fail with its message, without a second copy.
    if (typeof err === 'object' && err !== null) {
      if (recorded.has(err)) return;
      recorded.add(err);
    }
    const attrs: Attrs = { 'exception.type': e?.code ?? e?.name ?? 'Error', 'exception.message': message };
    if (e?.stack) attrs['exception.stacktrace'] = e.stack;
    this.addEvent('exception', attrs);
  }

  child(name: string, level: LevelValue, target: string, attributes: Attrs = {}, startMs = nowMs()): Span {
    if (!spanEnabled(target, level, this.sinks.length === 1 && this.sinks[0] === spanLogConsumer)) return new SkippedSpan(this);
    return new RecordingSpan(name, level, target, attributes, this, startMs, this.sinks);
  }

  end(endMs = nowMs()): void {
    if (this.endMs !== undefined) return;
    this.endMs = endMs;
    for (const s of this.sinks) s.onEnd(this);
  }
}

/** A span the filter left out: its children attach to its nearest recorded ancestor. */
class SkippedSpan implements Span {
  readonly recording = false;
  constructor(private readonly parent: RecordingSpan) {}
  get traceId(): string {
    return this.parent.traceId;
  }
  setAttribute(): void {}
  addEvent(): void {}
  recordError(): void {}
  child(name: string, level: LevelValue, target: string, attributes?: Attrs, startMs?: number): Span {
    return this.parent.child(name, level, target, attributes, startMs);
  }
  end(): void {}
}

/** Whether a child span of `target` at `level` would be recorded under a recording parent. */
export function wouldRecord(target: string, level: LevelValue): boolean {
  return spanEnabled(target, level, false);
}

let ambient: Span | undefined;

/** Makes `span` the parent of the root spans started until it is cleared (the CLI's `run` span). */
export function setAmbientParent(span: Span | undefined): void {
  ambient = span;
}

/** Starts a span for a public API call (a child of the ambient parent, if any); NOOP when nothing consumes spans. */
export function startSpan(name: string, level: LevelValue, target: string, attributes: Attrs = {}): Span {
  if (ambient?.recording) return ambient.child(name, level, target, attributes);
  // With no consumer, span lifecycle may still be wanted as tracing::span log records.
  const sinks = consumers.length > 0 || autoOtel() ? [...consumers] : spanLogsWanted() ? [spanLogConsumer] : undefined;
  if (!sinks || !spanEnabled(target, level, sinks.length === 1 && sinks[0] === spanLogConsumer)) return NOOP;
  let root: { traceId: string; spanId: string } | undefined;
  for (const s of sinks) root ??= s.rootParent?.();
  return new RecordingSpan(name, level, target, attributes, undefined, nowMs(), sinks, root);
}

// ---- the embedder's OpenTelemetry, found without loading it ----

const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');
let autoAttached = false;

/**
 * When the embedder registered a global OpenTelemetry tracer provider, hl's
 * spans go to it, parented on the active context. Detected through the API's
 * global slot, so nothing is loaded for embedders without OpenTelemetry.
 */
function autoOtel(): boolean {
  if (autoAttached) return false; // attached: it is in `consumers` now
  const slot = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[OTEL_GLOBAL];
  if (!slot?.trace) return false;
  autoAttached = true;
  const { otelConsumer } = require('./tracing-otel') as typeof import('./tracing-otel');
  consumers.push(otelConsumer());
  return true;
}

// ---- span lifecycle as log records (target tracing::span) ----

export const SPAN_LOG_TARGET = 'tracing::span';

/** Emits `span NAME opened` / `span NAME closed` records under tracing::span at
 * each span's level, when the log filter enables them. The close carries
 * `durationUs`, the name every duration field in hl's records has. */
export const spanLogConsumer: TraceConsumer = {
  onStart(s) {
    if (currentFilter().enabled(SPAN_LOG_TARGET, s.level)) emit(SPAN_LOG_TARGET, s.level, `span ${s.name} opened`, { span: s.name, ...s.attributes });
  },
  onEnd(s) {
    if (!currentFilter().enabled(SPAN_LOG_TARGET, s.level)) return;
    const fields: Record<string, unknown> = { span: s.name, ...s.attributes, durationUs: Math.round(((s.endMs ?? s.startMs) - s.startMs) * 1000) };
    if (s.status.code === 'error') fields.error = s.status.message;
    emit(SPAN_LOG_TARGET, s.level, `span ${s.name} closed`, fields);
  },
};

/** True when the log filter could pass a tracing::span record. */
export function spanLogsWanted(): boolean {
  return currentFilter().maxLevelFor(SPAN_LOG_TARGET) > Level.off;
}

// ---- W3C trace context from the environment (OpenTelemetry env carriers) ----

/** TRACEPARENT, if set and well formed: version 00, non-zero ids. */
export function traceparentFromEnv(env: NodeJS.ProcessEnv = process.env): { traceId: string; spanId: string; sampled: boolean } | undefined {
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec((env.TRACEPARENT ?? '').trim());
  if (!m || m[1] === 'ff' || /^0+$/.test(m[2]) || /^0+$/.test(m[3])) return undefined;
  return { traceId: m[2], spanId: m[3], sampled: (parseInt(m[4], 16) & 1) === 1 };
}

/** A consumer that only makes root spans continue TRACEPARENT's trace (the CLI adds it). */
export function envParentConsumer(): TraceConsumer | undefined {
  const p = traceparentFromEnv();
  if (!p) return undefined;
  return { onStart() {}, onEnd() {}, rootParent: () => p };
}
