// tracing-setup.ts: the trace consumers a CLI run asked for (--trace, --otlp),
// TRACEPARENT, and the `run` span that parents the run's spans.
import { Level } from '../observability/log-filter';
import { warn } from './warn';
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
  /** Flushes the exporter by `until` (flush-deadline.ts); resolves with a warning, if any; never throws. */
  flush(until: number): Promise<string | undefined>;
}

const DEFAULT_ENDPOINT = 'localhost:4317';

export function startRunTracing(opts: TracingOptions, attributes: Record<string, string>): RunTracing {
  const removers: (() => void)[] = [];
  const tree = opts.trace ? treeCollector() : undefined;
  if (tree) removers.push(addTraceConsumer(tree));
  let otlp: import('./otlp').Otlp | undefined;
  if (opts.otlp !== undefined) {
    const endpoint = opts.otlp === true ? process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT || DEFAULT_ENDPOINT : opts.otlp;
    otlp = (require('./otlp') as typeof import('./otlp')).startOtlp(endpoint);
    removers.push(addTraceConsumer(otlp.consumer));
  } else if (tree) {
    const env = envParentConsumer(); // the tree continues TRACEPARENT's trace too
    if (env) removers.push(addTraceConsumer(env));
  }
  const span = startSpan('run', Level.info, 'hyperlight_host::cli', attributes);
  if (!span.recording) warn('the log filter (--log, HL_LOG, RUST_LOG) lets no hl span through, so there is nothing to trace; try --log info');
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
      const warning = otlp ? await otlp.finish(until) : undefined;
      for (const remove of removers) remove();
      return warning;
    },
  };
}
