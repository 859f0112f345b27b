// tracing-setup.ts: the trace consumers a CLI run asked for (--trace, --otlp),
// TRACEPARENT, and the `run` span that parents the run's spans.
import { Level } from '../observability/log-filter';
import { warn } from './warn';
import { otlpSettings } from './otel-env';
import { colorWanted } from '../observability/logging';
import { treeCollector } from '../observability/trace-tree';
import { type Span, addTraceConsumer, envParentConsumer, setAmbientParent, startSpan, traceparentFromEnv } from '../observability/tracing';

export interface TracingOptions {
  trace?: boolean;
  otlp?: string | true;
}

export interface RunTracing {
  span: Span;
  /** The run's trace id: its span's, else TRACEPARENT's. */
  traceId: string | undefined;
  /** Ends the run span and prints the tree; never throws. */
  end(error?: unknown): void;
  /** Flushes the exporter by `until` (flush-deadline.ts); resolves with the warnings, if any; never throws. */
  flush(until: number): Promise<string[]>;
}

export function startRunTracing(opts: TracingOptions, attributes: Record<string, string>): RunTracing {
  const removers: (() => void)[] = [];
  const tree = opts.trace ? treeCollector() : undefined;
  if (tree) removers.push(addTraceConsumer(tree));
  let otlp: import('./otlp').Otlp | undefined;
  // OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none: no exporter, and OpenTelemetry is not even loaded.
  const settings = opts.otlp !== undefined ? otlpSettings(opts.otlp) : undefined;
  for (const w of settings?.warnings ?? []) warn(w);
  if (settings?.export) {
    otlp = (require('./otlp') as typeof import('./otlp')).startOtlp(settings);
    removers.push(addTraceConsumer(otlp.consumer));
  } else if (tree) {
    const env = envParentConsumer(); // the tree continues TRACEPARENT's trace too
    if (env) removers.push(addTraceConsumer(env));
  }
  const span = startSpan('run', Level.info, 'hyperlight_host::cli', attributes);
  if (!span.recording && (tree || otlp)) warn('the log filter (--log, HL_LOG, RUST_LOG) lets no hl span through, so there is nothing to trace; try --log info');
  setAmbientParent(span);
  return {
    span,
    traceId: span.traceId ?? traceparentFromEnv()?.traceId,
    end(error?: unknown) {
      if (error !== undefined) span.recordError(error);
      span.end();
      setAmbientParent(undefined);
      if (tree) process.stderr.write(tree.render({ color: colorWanted(process.stderr) }));
    },
    async flush(until: number) {
      const warnings = otlp ? await otlp.finish(until) : [];
      for (const remove of removers) remove();
      return warnings;
    },
  };
}
