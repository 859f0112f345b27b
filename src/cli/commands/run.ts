// run.ts: `hl run <guest> --fn <name> [--arg <value>]...`
import { Command, Option } from 'commander';
import type * as Prom from 'prom-client';
import * as path from 'node:path';
import { GuestProfile, Sandbox, setMetricsRegistry } from '../../sandbox';
import { DEFAULT_PROFILE_HZ } from '../../sandbox/profile';
import type { GdbOptions } from '../../sandbox/debug-call';
import { addCallArguments, resolveCall } from '../call-args';
import { usage } from '../../errors';
import { formatText, jsonValue } from '../format';
import { ExitCode } from '../exit-codes';
import { escapeControl, jsonText } from '../../inert-text';
import { handleError } from '../handle-error';
import { defaultHostFunctions, endGuestLine } from '../host-functions';
import { addLogOptions, applyLogOptions } from '../log-options';
import { addMemoryOptions, memoryOptions } from '../sandbox-options';
import { optionalValueOption } from '../optional-values';
import { flushDeadline } from '../flush-deadline';
import { cancelOnSignals, endOnSignals } from '../interrupt';
import type { OutputError } from '../output-file';
import { type Spinner, startSpinner } from '../spinner';
import { quietWarnings, warn } from '../warn';
import type { RunTracing } from '../tracing-setup';
import { traceparentFromEnv } from '../../observability/tracing';
import { parseCount, parseDuration } from '../units';
import { LINGER_DEFAULT_MS, type MetricsEndpoint } from '../metrics-listen';

interface RunOptions {
  fn: string;
  arg: string[];
  json?: boolean;
  timeout?: number;
  repeat: number;
  restore?: boolean;
  metricsDump?: string | true;
  metricsListen?: string;
  metricsPush?: string;
  metricsPushLabel: string[];
  metricsLinger: number;
  functionCallMetrics?: boolean;
  trace?: boolean;
  otlp?: string | true;
  quiet?: boolean;
  profile?: string;
  profileHz: number;
  gdb?: string;
  log?: string;
  logFormat?: string;
  [k: string]: unknown;
}

export function runCommand(): Command {
  const cmd = addCallArguments(new Command('run').description('load a guest into a micro-VM and call one of its functions'))
    .option('--json', 'print one JSON object per call: function, type, result, durationUs (and traceId)')
    .option('-q, --quiet', 'print only the result: no spinner, no warnings, no log records')
    .option('--timeout <duration>', 'cancel the run (guest start-up included) after this long, e.g. 500ms, 2s; exit 124', (v) => parseDuration(v, '--timeout'))
    .option('--repeat <n>', 'call the function n times in one sandbox, printing each result', parseCount('--repeat', 1), 1)
    .option('--restore', 'restore the sandbox to its state after init between repeated calls')
    .option('--gdb <[host:]port>', 'run the call under gdb: it waits, stopped at the function, for `gdb -ex "target remote :PORT" GUEST` (loopback unless a host is given)', (v: string) => {
      (require('../metrics-listen') as typeof import('../metrics-listen')).parseListen(v, '--gdb'); // checked now, before KVM
      return v;
    })
    .option('--profile <file>', 'sample the guest\'s stack while it runs and write a flame graph (FILE.svg) or folded stacks (FILE.folded), even if the call fails or times out')
    .addOption(new Option('--profile-hz <n>', 'samples per second for --profile').argParser(parseCount('--profile-hz', 1)).default(DEFAULT_PROFILE_HZ))
    .addOption(optionalValueOption('--metrics-dump', 'target', 'print Prometheus metrics at the end: to stderr, to stdout after the result (--metrics-dump=-), or to a file written atomically (--metrics-dump=FILE; a device, FIFO or /proc/self/fd/N is written straight through); a value needs the ='))
    .option('--metrics-listen <[host:]port>', 'serve /metrics over HTTP during the run (loopback unless a host is given), and after it until scraped once')
    .addOption(
      new Option('--metrics-linger <duration>', 'with --metrics-listen: after the run, wait at most this long for a scrape of the final state (0: do not wait)')
        .argParser((v) => parseDuration(v, '--metrics-linger', true))
        .default(LINGER_DEFAULT_MS, `${LINGER_DEFAULT_MS / 1000}s`),
    )
    .option('--metrics-push <url>', 'push metrics to a Prometheus Pushgateway at the end (grouping key: job="hl", guest, function)')
    .option('--metrics-push-label <name=value>', 'add or override a grouping label of the push (repeatable), e.g. instance=web-1', (v: string, all: string[]) => [...all, v], [])
    .option('--function-call-metrics', 'also record guest and host function call duration histograms')
    .option('--trace', 'print the span tree of the run (durations, attributes, errors) on stderr at the end')
    .addOption(optionalValueOption('--otlp', 'endpoint', 'stream spans to an OTLP collector: --otlp HOST:PORT, --otlp URL or --otlp=ENDPOINT (gRPC unless OTEL_EXPORTER_OTLP_PROTOCOL says http/protobuf or http/json; default localhost:4317; HOST:PORT here means plaintext, https:// means TLS)'));
  addMemoryOptions(cmd);
  addLogOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Arguments by declared type: integers in decimal or 0x hex (range-checked), true/false,
floats (also nan, inf), strings as UTF-8, bytes as @file, - (standard input) or text.

Examples:
  $ hl run guests/bin/simpleguest.bin --fn Echo --arg hello
  $ hl run guests/bin/simpleguest.bin --fn Add --arg 2 --arg 0x10
  $ hl run guests/bin/simpleguest.bin --fn EchoBytes --arg @photo.jpg > copy.jpg
  $ hl run guests/bin/simpleguest.bin --fn Echo --json -- --starts-with-dash
  $ hl run guests/bin/simpleguest.bin --fn Spin --timeout 500ms
  $ hl run guests/bin/simpleguest.bin --fn Echo --arg hi --metrics-dump=/var/lib/node_exporter/hl.prom
  $ hl run guests/bin/simpleguest.bin --fn Echo --arg hi --repeat 1000 --restore --metrics-listen 9464
  $ hl run guests/bin/simpleguest.bin --fn LogMessage --arg hi --arg 2 --log 'warn,hyperlight_guest=trace'
  $ HL_LOG=debug hl run guests/bin/simpleguest.bin --fn Echo --arg hi --log-format json
  $ hl run guests/bin/simpleguest.bin --fn Add --arg 1 --arg 2 --trace --log trace
  $ TRACEPARENT=00-<trace>-<span>-01 hl run guests/bin/simpleguest.bin --fn Echo --arg hi --otlp localhost:4317

Log filter (--log, else HL_LOG, else RUST_LOG; default "error"): directives
target=level separated by commas; a bare level is the default; targets match by
prefix, the longest wins; [span]=level and [span{field=value}]=level; a trailing
/regex keeps only records whose message matches. Targets: hyperlight_host::sandbox,
hyperlight_host::vm, hyperlight_guest.`,
  );
  return cmd.action(async (guest: string, extra: string[], opts: RunOptions) => {
    applyLogOptions(opts.quiet ? { ...opts, log: 'off' } : opts);
    if (opts.quiet) quietWarnings();
    process.exitCode = await runWithTelemetry(guest, [...opts.arg, ...extra], opts);
  });
}

/** The run, with metrics and traces set up before it and exported after it, whatever its outcome. */
async function runWithTelemetry(guest: string, words: string[], opts: RunOptions): Promise<number> {
  const wanted = opts.metricsDump !== undefined || opts.metricsListen !== undefined || opts.metricsPush !== undefined;
  if (opts.metricsDump === '') throw usage('--metrics-dump=: give a file, or - for stdout, or nothing for stderr');
  if (opts.metricsPush !== undefined && !/^https?:\/\/[^/\s]+/i.test(opts.metricsPush)) {
    throw usage(`--metrics-push: "${opts.metricsPush}" is not an http(s) URL (example: http://pushgateway:9091)`);
  }
  const grouping = opts.metricsPush !== undefined ? (require('../metrics-push') as typeof import('../metrics-push')).pushGrouping(guest, opts.fn, opts.metricsPushLabel) : undefined;
  if (opts.profile !== undefined && !/\.(svg|folded)$/.test(opts.profile)) throw usage(`--profile: "${opts.profile}" must end in .svg (a flame graph) or .folded (flamegraph.pl's input)`);
  if (opts.profileHz > 100_000) throw usage(`--profile-hz: ${opts.profileHz} is more than 100000`);
  const profile = opts.profile !== undefined ? new GuestProfile({ hz: opts.profileHz }) : undefined;
  let registry: Prom.Registry | undefined;
  if (wanted) {
    const prom = require('prom-client') as typeof Prom;
    registry = new prom.Registry();
  }
  setMetricsRegistry(registry ?? null); // no prom-client at all for a plain run
  let status: number;
  let endpoint: MetricsEndpoint | undefined;
  // Exporters load only when a flag asks for them.
  const exporting = opts.metricsDump !== undefined ? (require('../metrics-export') as typeof import('../metrics-export')) : undefined;
  const tracing: RunTracing | undefined =
    opts.trace || opts.otlp !== undefined ? (require('../tracing-setup') as typeof import('../tracing-setup')).startRunTracing(opts, { guest, function: opts.fn }) : undefined;
  let failure: unknown;
  try {
    if (opts.metricsListen !== undefined) {
      const listen = require('../metrics-listen') as typeof import('../metrics-listen');
      endpoint = await listen.serveMetrics(registry!, listen.parseListen(opts.metricsListen));
      if (!opts.quiet) process.stderr.write(`hl: serving metrics at ${endpoint.url}\n`);
    }
    status = await run(guest, words, opts, tracing ? tracing.traceId : traceparentFromEnv()?.traceId, profile);
  } catch (err) {
    failure = err;
    status = handleError(err);
    if (interruptedBy) status = interruptedBy === 'SIGINT' ? ExitCode.Interrupted : ExitCode.Terminated;
  }
  tracing?.end(failure);
  endpoint?.ended();
  // Spans, the push and the dump go out in parallel, under one deadline; the
  // endpoint waits beside them for its final scrape, under its own bound.
  const until = flushDeadline();
  const undoEnd = endOnSignals(); // a signal now ends hl at once, never between a temporary file and its rename
  // No waiting after Ctrl-C or TERM during the run, nor after a usage error (a typo in --fn: nothing ran).
  const linger = interruptedBy || status === ExitCode.Usage ? 0 : opts.metricsLinger;
  if (endpoint && linger > 0 && !endpoint.scraped && !opts.quiet) {
    process.stderr.write(`hl: run ended; serving its final metrics until scraped once (at most ${formatMs(linger)}, --metrics-linger; Ctrl-C ends now)\n`);
  }
  const lingering = endpoint?.finalScrape(linger); // beside the flush; its result is not needed
  const [spanWarnings, pushFailure, dumpFailure, profileFailure] = await Promise.all([
    tracing?.flush(until),
    registry && grouping ? (require('../metrics-push') as typeof import('../metrics-push')).pushMetrics(registry, opts.metricsPush!, grouping, until) : undefined,
    registry && opts.metricsDump !== undefined
      ? exporting!.dumpMetrics(registry, opts.metricsDump === true ? 'stderr' : opts.metricsDump, until).then(
          () => undefined,
          (err: Error) => err,
        )
      : undefined,
    profile ? writeProfile(profile, opts.profile!, guest, opts.fn, until, opts.quiet === true) : undefined,
  ]);
  for (const w of spanWarnings ?? []) warn(w);
  if (pushFailure) warn(`metrics push to ${opts.metricsPush} failed: ${pushFailure}`);
  if (dumpFailure) {
    // The user asked for this file: not having it is an error, even after a run that succeeded.
    const e = dumpFailure as Partial<OutputError> & Error;
    const text = e.name === 'OutputError' ? `cannot write metrics to ${e.target}: ${e.reason}` : `cannot write metrics: ${e.message}`;
    process.stderr.write(`hl: error: ${escapeControl(text)}\n`);
    if (status === ExitCode.Ok) status = ExitCode.IoError;
  }
  if (profileFailure) {
    process.stderr.write(`hl: error: ${escapeControl(profileFailure)}\n`);
    if (status === ExitCode.Ok) status = ExitCode.IoError;
  }
  await lingering; // a signal still ends hl at once here (endOnSignals)
  undoEnd();
  return status;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** --gdb: where to listen, and the line that tells the user how to attach. */
function gdbOptions(opts: RunOptions, guest: string): GdbOptions | undefined {
  if (opts.gdb === undefined) return undefined;
  const at = (require('../metrics-listen') as typeof import('../metrics-listen')).parseListen(opts.gdb, '--gdb');
  return {
    ...at,
    onListening: (a) => {
      const target = `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
      process.stderr.write(`hl: waiting for gdb on ${target}: gdb -ex 'target remote ${target}' ${escapeControl(guest)}\n`);
    },
  };
}

/** Writes the profile where --profile says; resolves to an error line, or undefined. */
async function writeProfile(profile: GuestProfile, file: string, guest: string, fn: string, until: number, quiet: boolean): Promise<string | undefined> {
  const text = file.endsWith('.svg') ? profile.svg(`${path.basename(guest)} ${fn}`) : profile.folded();
  try {
    await (require('../output-file') as typeof import('../output-file')).writeOutput(file, text, until);
  } catch (err) {
    const e = err as Partial<OutputError> & Error;
    return e.name === 'OutputError' ? `cannot write the profile to ${e.target}: ${e.reason}` : `cannot write the profile: ${e.message}`;
  }
  if (!quiet) process.stderr.write(`hl: profile of ${profile.samples} samples at ${profile.hz} Hz written to ${escapeControl(file)}${profile.dropped ? ` (${profile.dropped} dropped)` : ''}\n`);
  return undefined;
}

async function run(guest: string, words: string[], opts: RunOptions, traceId: string | undefined, profile: GuestProfile | undefined): Promise<number> {
  const controller = new AbortController();
  const deadline = opts.timeout;
  const timer = deadline !== undefined ? setTimeout(() => controller.abort(new Error(`timed out after ${deadline} ms (--timeout)`)), deadline) : undefined;
  // Ctrl-C or a TERM cancels the guest and still exports telemetry; a second signal (either kind) ends hl at once (interrupt.ts).
  let spinner: Spinner | undefined;
  const interrupt = cancelOnSignals((reason) => {
    spinner?.stop(); // the cursor is back even if a second signal follows
    controller.abort(reason);
  });
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await Sandbox.create(guest, {
      ...memoryOptions(opts),
      hostFunctions: defaultHostFunctions(opts.json === true),
      signal: controller.signal,
      functionCallMetrics: opts.functionCallMetrics === true,
    });
    const { sig, args } = resolveCall(sandbox, opts.fn, words);
    for (let i = 0; i < opts.repeat; i++) {
      const callStart = process.hrtime.bigint();
      spinner = startSpinner(`calling ${sig.name}`, { ...opts, quiet: opts.quiet === true || opts.gdb !== undefined }); // not over a debugging session
      let result;
      try {
        result = await sandbox.call(sig.name, args, { signal: controller.signal, profile, gdb: gdbOptions(opts, guest) });
      } finally {
        spinner.stop();
        spinner = undefined;
      }
      const durationUs = Number(process.hrtime.bigint() - callStart) / 1000;
      if (opts.json) {
        const out: Record<string, unknown> = { function: sig.name, type: sig.returns, result: jsonValue(sig.returns, result), durationUs: Math.round(durationUs * 10) / 10 };
        if (traceId) out.traceId = traceId;
        process.stdout.write(jsonText(out) + '\n');
      } else {
        const text = formatText(sig.returns, result);
        if (text !== undefined) endGuestLine(); // PrintOutput's "printed" then the result: two lines, not "printed7"
        if (text instanceof Uint8Array && process.stdout.isTTY) process.stdout.write(Buffer.from(text).toString('hex') + '\n');
        else if (typeof text === 'string' && process.stdout.isTTY) process.stdout.write(escapeControl(text.slice(0, -1)) + '\n');
        else if (text !== undefined) process.stdout.write(text);
      }
      if (opts.restore && i + 1 < opts.repeat) sandbox.restore();
      // Back-to-back synchronous completions would starve the event loop (a scrape endpoint).
      if (i % 64 === 63) await new Promise((r) => setImmediate(r));
    }
    return 0;
  } finally {
    if (timer) clearTimeout(timer);
    interruptedBy = interrupt.by;
    interrupt.dispose();
    sandbox?.dispose();
  }
}

/** The signal that interrupted the run, if one did: the exit status is then 128 + its number. */
let interruptedBy: NodeJS.Signals | undefined;
