// metrics.ts: hl's Prometheus metrics (prom-client), under Hyperlight's names
// where Hyperlight has one. The library only records; src/cli exports.
// prom-client is loaded on first use, never by a plain `hl run`.
import type * as Prom from 'prom-client';
import type { HlError } from '../errors';
import type { SandboxObserver } from '../sandbox/events';
import { MAX_LABEL_CHARS, OTHER, SeriesLimit, labelValue } from './series-limit';

/** Every metric name hl records, in one place (documented in docs/observability.md). */
export const MetricNames = {
  guestErrors: 'hyperlight_guest_error_count',
  cancelled: 'hyperlight_number_of_cancelled_guest_execution',
  guestCallDuration: 'hyperlight_guest_function_call_duration_microseconds',
  hostCallDuration: 'hyperlight_host_function_calls_duration_microseconds',
  guestCrashes: 'hl_guest_crashes_total',
  sandboxesCreated: 'hl_sandboxes_created_total',
  sandboxesActive: 'hl_sandboxes_active',
  creationDuration: 'hl_sandbox_creation_duration_seconds',
  lastSuccess: 'hl_last_success_timestamp_seconds',
  guestLogRecords: 'hl_guest_log_records_total',
  guestLogCaps: 'hl_guest_log_capped_calls_total',
  seriesFolded: 'hl_metric_series_folded_total',
} as const;

/** Guest error messages are cut to this many characters ... */
export const MAX_MESSAGE_LABEL = MAX_LABEL_CHARS;
/**
 * ... and after this many distinct (code, message) pairs, a new pair is
 * recorded as (code, "(other)") when its code already has a series, else as
 * ("(other)", "(other)"). So guests can make at most 2 x 100 + 1 series.
 */
export const MAX_ERROR_SERIES = 100;
/** `function_name` values per duration histogram; the rest are "(other)". */
export const MAX_FUNCTION_SERIES = 256;

/** From tens of microseconds (a warm call here is ~40 us) to seconds. */
const CALL_BUCKETS_US = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000, 5_000_000];
const CREATE_BUCKETS_S = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

interface Instruments {
  prom: typeof Prom;
  registry: Prom.Registry;
  guestErrors: Prom.Counter<'error_code' | 'error_message'>;
  cancelled: Prom.Counter;
  guestCrashes: Prom.Counter<'kind'>;
  guestLogs: Prom.Counter<'level'>;
  guestLogCaps: Prom.Counter;
  created: Prom.Counter;
  active: Prom.Gauge;
  creation: Prom.Histogram;
  /** Registered at the first success: a batch run that never succeeded pushes no value (not 0). */
  lastSuccess?: Prom.Gauge;
  guestCalls?: Prom.Histogram<'function_name'>;
  hostCalls?: Prom.Histogram<'function_name'>;
  seriesFolded: Prom.Counter<'metric'>;
  errorSeries: SeriesLimit<'error_code' | 'error_message'>;
  /** Codes with a series under the limit: past it, their new messages fold to (code, "(other)"). */
  errorCodes: Set<string>;
  guestCallSeries: SeriesLimit<'function_name'>;
  hostCallSeries: SeriesLimit<'function_name'>;
}

let chosen: Prom.Registry | null | undefined; // undefined: prom-client's default registry
let instruments: Instruments | undefined;

/**
 * Hands hl the prom-client Registry to record into (Hyperlight's
 * set_metrics_registry). `null` turns hl's metrics off. Call it before
 * creating sandboxes; by default hl records into prom-client's default registry.
 */
export function setMetricsRegistry(registry: Prom.Registry | null): void {
  chosen = registry;
  instruments = undefined;
}

/** The registry hl records into, creating the metrics on first use (undefined when off). */
export function metricsRegistry(): Prom.Registry | undefined {
  return setup()?.registry;
}

function setup(): Instruments | undefined {
  if (chosen === null) return undefined;
  if (instruments) return instruments;
  const prom = require('prom-client') as typeof Prom;
  const registry = chosen ?? prom.register;
  const reg = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  const registers = [registry];
  const guestErrors = reg(MetricNames.guestErrors, () =>
    new prom.Counter({ name: MetricNames.guestErrors, help: 'Errors guests reported: a guest function returned an error, or the guest aborted (by guest error code and message)', labelNames: ['error_code', 'error_message'] as const, registers }),
  );
  const cancelled = reg(MetricNames.cancelled, () =>
    new prom.Counter({ name: MetricNames.cancelled, help: 'Guest executions cancelled by a timeout, an AbortSignal or a kill', registers }),
  );
  const seriesFolded = reg(MetricNames.seriesFolded, () =>
    new prom.Counter({ name: MetricNames.seriesFolded, help: 'Observations recorded under an (other) label because their metric reached its series limit, by metric', labelNames: ['metric'] as const, registers }),
  );
  // Present from the start at 0: an unlabelled series, so sum() works before the first error.
  guestErrors.inc(0);
  cancelled.inc(0);
  const limit = <L extends string>(metric: string, n: number) => new SeriesLimit<L>(n, () => seriesFolded.inc({ metric }));
  instruments = {
    prom,
    registry,
    guestErrors,
    cancelled,
    guestCrashes: reg(MetricNames.guestCrashes, () =>
      new prom.Counter({ name: MetricNames.guestCrashes, help: 'Guest calls that crashed (fault, stack overflow) or broke the ABI, by kind', labelNames: ['kind'] as const, registers }),
    ),
    guestLogs: reg(MetricNames.guestLogRecords, () =>
      new prom.Counter({ name: MetricNames.guestLogRecords, help: 'Log records guests sent to the host (records below the enabled level never leave the guest)', labelNames: ['level'] as const, registers }),
    ),
    guestLogCaps: reg(MetricNames.guestLogCaps, () =>
      new prom.Counter({ name: MetricNames.guestLogCaps, help: 'Guest calls that reached the per-call log limit (records or bytes); their later records were dropped', registers }),
    ),
    created: reg(MetricNames.sandboxesCreated, () => new prom.Counter({ name: MetricNames.sandboxesCreated, help: 'Sandboxes created', registers })),
    active: reg(MetricNames.sandboxesActive, () => new prom.Gauge({ name: MetricNames.sandboxesActive, help: 'Sandboxes created and not yet disposed', registers })),
    creation: reg(MetricNames.creationDuration, () =>
      new prom.Histogram({ name: MetricNames.creationDuration, help: 'Time to create a sandbox, guest init included', buckets: CREATE_BUCKETS_S, registers }),
    ),
    seriesFolded,
    errorSeries: limit<'error_code' | 'error_message'>(MetricNames.guestErrors, MAX_ERROR_SERIES),
    errorCodes: new Set(),
    guestCallSeries: limit(MetricNames.guestCallDuration, MAX_FUNCTION_SERIES),
    hostCallSeries: limit(MetricNames.hostCallDuration, MAX_FUNCTION_SERIES),
  };
  // Every family has its unlabelled zero series from the start (as Hyperlight's
  // two counters above): sum() works before the first event, and a push to a
  // Pushgateway, which replaces only the families that carry samples, always
  // replaces each one (docs/observability.md).
  instruments.guestCrashes.inc(0);
  instruments.guestLogs.inc(0);
  seriesFolded.inc(0);
  return instruments;
}

function callHistograms(m: Instruments): void {
  const registers = [m.registry];
  const get = <T>(name: string) => m.registry.getSingleMetric(name) as T | undefined;
  m.guestCalls ??=
    get(MetricNames.guestCallDuration) ??
    new m.prom.Histogram({ name: MetricNames.guestCallDuration, help: 'Guest function call duration in microseconds (count: calls)', labelNames: ['function_name'] as const, buckets: CALL_BUCKETS_US, registers });
  m.hostCalls ??=
    get(MetricNames.hostCallDuration) ??
    new m.prom.Histogram({ name: MetricNames.hostCallDuration, help: 'Host function call duration in microseconds (count: calls)', labelNames: ['function_name'] as const, buckets: CALL_BUCKETS_US, registers });
  m.guestCalls.zero({} as Record<'function_name', string>);
  m.hostCalls.zero({} as Record<'function_name', string>);
}

function recordGuestError(m: Instruments, code: number, message: string): void {
  const wanted = { error_code: String(code), error_message: labelValue(message) };
  const labels = m.errorSeries.admit(wanted, m.errorCodes.has(wanted.error_code) ? { error_code: wanted.error_code, error_message: OTHER } : undefined);
  if (labels === wanted) m.errorCodes.add(wanted.error_code);
  m.guestErrors.inc(labels);
}

/**
 * The observer that records one sandbox's events; undefined when metrics are off.
 * `functionCallMetrics` adds the two duration histograms (off by default).
 */
export function metricsObserver(functionCallMetrics: boolean, hostFunctionNames: ReadonlySet<string>): SandboxObserver | undefined {
  const m = setup();
  if (!m) return undefined;
  if (functionCallMetrics) callHistograms(m);
  return {
    onCreate(e) {
      m.created.inc();
      m.active.inc();
      m.creation.observe(e.durationUs / 1e6);
    },
    onDispose() {
      m.active.dec();
    },
    onCallEnd(e) {
      // The guest's function table names these: bounded per process, like error labels.
      if (functionCallMetrics) m.guestCalls!.observe(m.guestCallSeries.admit({ function_name: labelValue(e.fn) }), e.durationUs);
      if (!e.error) {
        m.lastSuccess ??=
          (m.registry.getSingleMetric(MetricNames.lastSuccess) as Prom.Gauge | undefined) ??
          new m.prom.Gauge({ name: MetricNames.lastSuccess, help: 'Unix time of the last guest call that succeeded', registers: [m.registry] });
        m.lastSuccess.set(Date.now() / 1000);
      }
      else recordFailure(m, e.error);
    },
    onHostCall(e) {
      // A guest may name any host function; only the embedder's become label values.
      if (functionCallMetrics) m.hostCalls!.observe(m.hostCallSeries.admit({ function_name: hostFunctionNames.has(e.fn) ? e.fn : '(unknown)' }), e.durationUs);
    },
    onCancel() {
      m.cancelled.inc();
    },
    onGuestLog(e) {
      m.guestLogs.inc({ level: GUEST_LEVELS[e.level] ?? 'error' });
    },
    onGuestLogsCapped() {
      m.guestLogCaps.inc();
    },
  };
}

const GUEST_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];

function recordFailure(m: Instruments, e: HlError): void {
  const d = e.details as { guestCode?: number; guestMessage?: string; kind?: string };
  if (e.code === 'GUEST_ERROR' || e.code === 'GUEST_ABORTED') recordGuestError(m, d.guestCode ?? 0, d.guestMessage ?? '');
  else if (e.code === 'GUEST_FAULT') m.guestCrashes.inc({ kind: d.kind ?? 'unknown' });
  else if (e.code === 'ABI_VIOLATION') m.guestCrashes.inc({ kind: 'abi_violation' });
}
