// hl-test: no-kvm
// OpenTelemetry's environment (the specification's SDK environment variables
// and OTLP exporter configuration) as `hl run --otlp` reads it
// (src/cli/otel-env.ts), and the exporter set-up (src/cli/otlp.ts) against
// real receivers: the OTLP/gRPC and OTLP/HTTP collectors of
// test/otlp-collector.ts (official protos), over TLS with a certificate made
// here. No guest is booted: spans come from hl's tracing API directly.
import t from 'tap';
import { Level } from '../src/observability/log-filter';
import { addTraceConsumer, startSpan } from '../src/observability/tracing';
import { type OtlpSettings, DEFAULT_MAX_QUEUE_SIZE, DEFAULT_SCHEDULE_DELAY_MS, EXPORT_TIMEOUT_MS, exportFailureText, otlpSettings } from '../src/cli/otel-env';
import { startOtlp } from '../src/cli/otlp';
import { startRunTracing } from '../src/cli/tracing-setup';
import { startCollector, startHttpCollector } from './otlp-collector';
import { makeCert } from './tls-cert';

const cert = makeCert();
t.teardown(cert.remove);

type Exporting = Extract<OtlpSettings, { export: true }>;
const exporting = (s: OtlpSettings): Exporting => {
  if (!s.export) throw new Error(`not exporting: ${s.reason}`);
  return s;
};

/** Runs `fn` with exactly these OTEL_* variables set (the exporters read some themselves). */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('OTEL_') || k === 'TRACEPARENT').map((k) => [k, process.env[k]]));
  for (const k of Object.keys(saved)) delete process.env[k];
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** A `run` with `n` children, one failing, through the exporter `flag` and the environment set up; the warnings. */
async function exportSpans(flag: string | true, env: Record<string, string>, n = 3): Promise<string[]> {
  return withEnv(env, async () => {
    const otlp = startOtlp(exporting(otlpSettings(flag)));
    const remove = addTraceConsumer(otlp.consumer);
    const run = startSpan('run', Level.info, 'hyperlight_host::cli', { guest: 'g' });
    const crash = Object.assign(new Error('guest crashed'), { code: 'GUEST_FAULT' });
    for (let i = 0; i < n; i++) {
      const call = run.child('call', Level.info, 'hyperlight_host::sandbox', { function_name: `F${i}` });
      if (i === 0) call.recordError(crash);
      call.end();
    }
    run.recordError(crash); // the run fails because the call did (as `hl run` does)
    run.end();
    remove();
    return otlp.finish(Date.now() + 2500);
  });
}

t.test('OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none turn exporting off', async (t) => {
  t.same(otlpSettings(true, { OTEL_SDK_DISABLED: 'true' }), { export: false, reason: 'OTEL_SDK_DISABLED=true', warnings: [] });
  t.equal(otlpSettings('h:1', { OTEL_SDK_DISABLED: 'TRUE' }).export, false, 'case-insensitive, and the flag\'s endpoint too');
  t.equal(otlpSettings(true, { OTEL_TRACES_EXPORTER: 'none' }).export, false);
  t.equal(otlpSettings(true, { OTEL_SDK_DISABLED: 'false' }).export, true);
  const odd = otlpSettings(true, { OTEL_SDK_DISABLED: 'yes' });
  t.equal(odd.export, true, 'only "true" is true');
  t.match(odd.warnings, [/OTEL_SDK_DISABLED=yes is neither true nor false/]);
  const other = otlpSettings(true, { OTEL_TRACES_EXPORTER: 'console' });
  t.equal(other.export, true);
  t.match(other.warnings, [/hl exports only OTLP .*console ignored/]);

  // Through the CLI's set-up, against a real collector: nothing arrives, and the control run's spans do.
  const c = await startCollector();
  t.teardown(() => c.stop());
  for (const env of [{ OTEL_SDK_DISABLED: 'true' }, { OTEL_TRACES_EXPORTER: 'none' }, {}] as Record<string, string>[]) {
    const warnings = await withEnv(env, async () => {
      const tracing = startRunTracing({ otlp: c.endpoint }, { guest: 'g', function: 'F' });
      tracing.span.child('call', Level.info, 'hyperlight_host::sandbox').end();
      tracing.end();
      return tracing.flush(Date.now() + 2500);
    });
    t.same(warnings, [], JSON.stringify(env));
  }
  t.equal(c.requests, 1, 'only the run without either variable exported');
  t.same(new Set(c.spans.map((s) => s.name)), new Set(['run', 'call']));
});

t.test('endpoints: a scheme-less one from the environment means TLS unless INSECURE=true; the flag\'s means plaintext', async (t) => {
  const url = (flag: string | true, env: Record<string, string>) => {
    const s = exporting(otlpSettings(flag, env));
    return `${s.protocol} ${s.url} ${s.secure ? 'tls' : 'plain'}`;
  };
  t.equal(url(true, {}), 'grpc http://localhost:4317 plain', 'the default');
  t.equal(url('collector:4317', {}), 'grpc http://collector:4317 plain', '--otlp HOST:PORT stays plaintext (documented)');
  t.equal(url(true, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }), 'grpc https://collector:4317 tls');
  t.equal(url(true, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4317', OTEL_EXPORTER_OTLP_INSECURE: 'false' }), 'grpc https://collector:4317 tls');
  t.equal(url(true, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317', OTEL_EXPORTER_OTLP_INSECURE: 'true' }), 'grpc http://collector:4317 plain');
  t.equal(url(true, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317', OTEL_EXPORTER_OTLP_INSECURE: 'true', OTEL_EXPORTER_OTLP_TRACES_INSECURE: 'false' }), 'grpc https://collector:4317 tls', 'the traces variable first');
  t.equal(url(true, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4317', OTEL_EXPORTER_OTLP_INSECURE: 'true' }), 'grpc https://collector:4317 tls', 'a scheme wins over INSECURE');
  t.equal(url(true, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://b:2' }), 'grpc http://a:1 plain', 'the traces endpoint first');
  // OTLP/HTTP: a base endpoint gets /v1/traces; the traces endpoint is used as it is.
  t.equal(url(true, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }), 'http/protobuf http://localhost:4318/v1/traces plain');
  t.equal(url(true, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318/otlp' }), 'http/protobuf https://c:4318/otlp/v1/traces tls');
  t.equal(url(true, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c/x' }), 'http/json https://c/x tls');
  t.equal(url('c:4318', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }), 'http/protobuf http://c:4318/v1/traces plain');
  const odd = otlpSettings(true, { OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' });
  t.match(odd.warnings, [/OTEL_EXPORTER_OTLP_PROTOCOL=thrift is not grpc, http\/protobuf or http\/json; using grpc/]);
  t.throws(() => otlpSettings('ftp://c:1', {}), { code: 'USAGE', message: /--otlp: "ftp:\/\/c:1" is not an http:\/\/ or https:\/\/ endpoint/ });
});

t.test('credentials never travel in plaintext the user did not ask for', async (t) => {
  const auth = { OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20s3cret' };
  t.throws(() => otlpSettings('collector.example:4317', auth), { code: 'USAGE', message: /"Authorization" header and --otlp collector.example:4317 is plaintext; use https:\/\/collector.example:4317 \(TLS\), or http:\/\/collector.example:4317/ });
  t.throws(() => otlpSettings('collector.example:4317', { OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=1' }), { code: 'USAGE', message: /^OTEL_EXPORTER_OTLP_TRACES_HEADERS has a "x-api-key" header/ }, 'the traces headers too');
  t.equal(exporting(otlpSettings('http://collector.example:4317', auth)).secure, false, 'explicit http:// is the user\'s choice');
  t.equal(exporting(otlpSettings(true, { ...auth, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector.example:4317' })).secure, true, 'scheme-less from the environment: TLS');
  t.equal(exporting(otlpSettings(true, { ...auth, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector.example:4317', OTEL_EXPORTER_OTLP_INSECURE: 'true' })).secure, false, 'INSECURE=true asks for plaintext');
  t.equal(exporting(otlpSettings('localhost:4317', auth)).secure, false, 'loopback: the header never leaves the machine');
  t.equal(exporting(otlpSettings('collector.example:4317', { OTEL_EXPORTER_OTLP_HEADERS: 'x-scope-orgid=7' })).secure, false, 'headers that are not credentials');
});

t.test('gRPC over TLS: a scheme-less endpoint from the environment, the test\'s certificate, the authorization header delivered', async (t) => {
  const c = await startCollector({ tls: cert });
  t.teardown(() => c.stop());
  const port = c.endpoint.split(':')[1];
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `localhost:${port}`, OTEL_EXPORTER_OTLP_CERTIFICATE: cert.certFile, OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cret' };
  t.same(await exportSpans(true, env), []);
  t.ok(await c.waitFor((s) => s.length === 4));
  t.equal(c.headers[0].authorization, 'Bearer s3cret', 'over TLS');
  const run = c.spans.find((s) => s.name === 'run')!;
  t.equal(run.resource['telemetry.sdk.name'], 'opentelemetry');
  t.equal(run.resource['telemetry.sdk.language'], 'nodejs');
  t.match(String(run.resource['telemetry.sdk.version']), /^\d+\.\d+\.\d+/);
  t.equal(run.resource['service.name'], 'hl');
  // One exception, one event: on the call where it happened, not again on the run it then failed.
  for (const s of c.spans) t.equal(s.events.filter((e) => e.name === 'exception').length, s.attributes.function_name === 'F0' ? 1 : 0, `exception events on ${s.name} ${s.attributes.function_name ?? ''}`);
  t.equal(run.status.code, 2, 'the run failed too, with the message');
  t.equal(run.status.message, 'guest crashed');
});

t.test('a TLS failure keeps its cause in the warning', async (t) => {
  const c = await startCollector({ tls: cert });
  t.teardown(() => c.stop());
  const port = c.endpoint.split(':')[1];
  // No OTEL_EXPORTER_OTLP_CERTIFICATE: the self-signed certificate is not trusted.
  const warnings = await exportSpans(true, { OTEL_EXPORTER_OTLP_ENDPOINT: `localhost:${port}` });
  t.equal(warnings.length, 1, warnings.join('\n'));
  t.match(warnings[0], new RegExp(`^span export to https://localhost:${port} failed: .*certificate`), 'says it was the certificate');
  t.equal(c.spans.length, 0);
  t.equal(exportFailureText(new Error('14 UNAVAILABLE: No connection established. Last error: Error: self-signed certificate. Resolution note: x')), '14 UNAVAILABLE: No connection established (self-signed certificate)');
});

t.test('plaintext gRPC with INSECURE=true; a TLS client against it fails rather than fall back', async (t) => {
  const c = await startCollector();
  t.teardown(() => c.stop());
  t.same(await exportSpans(true, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: c.endpoint, OTEL_EXPORTER_OTLP_TRACES_INSECURE: 'true' }), []);
  t.ok(await c.waitFor((s) => s.length === 4));
  const before = c.requests;
  const warnings = await exportSpans(true, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: c.endpoint, OTEL_EXPORTER_OTLP_HEADERS: 'authorization=x' });
  t.equal(warnings.length, 1);
  t.match(warnings[0], /^span export to https:\/\/127\.0\.0\.1:\d+ failed: .*\(TLS: wrong version number\)$/, 'the cause, in words');
  t.equal(c.requests, before, 'nothing reached the plaintext collector');
});

t.test('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf and http/json: OpenTelemetry\'s HTTP exporters', async (t) => {
  const plain = await startHttpCollector();
  const tls = await startHttpCollector({ tls: cert });
  t.teardown(() => (plain.stop(), tls.stop()));
  t.same(await exportSpans(true, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_ENDPOINT: `http://${plain.endpoint}` }), []);
  t.ok(await plain.waitFor((s) => s.length === 4));
  t.same(plain.paths, ['/v1/traces']);
  t.match(plain.contentTypes[0], /^application\/x-protobuf/);
  const port = tls.endpoint.split(':')[1];
  const env = { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `https://localhost:${port}/custom/traces`, OTEL_EXPORTER_OTLP_CERTIFICATE: cert.certFile, OTEL_EXPORTER_OTLP_HEADERS: 'authorization=k' };
  t.same(await exportSpans(true, env), []);
  t.ok(await tls.waitFor((s) => s.length === 4));
  t.same(tls.paths, ['/custom/traces']);
  t.match(tls.contentTypes[0], /^application\/json/);
  t.equal(tls.headers[0].authorization, 'k');
  const run = tls.spans.find((s) => s.name === 'run')!;
  t.equal(tls.spans.find((s) => s.name === 'call')!.parentSpanId, run.spanId, 'ids survive OTLP/JSON');
  t.equal(run.resource['telemetry.sdk.language'], 'nodejs');
});

t.test('OTEL_BSP_*: honoured; spans a full queue drops are counted in one warning', async (t) => {
  const bsp = (env: Record<string, string>) => exporting(otlpSettings(true, env)).bsp;
  t.same(bsp({}), { scheduledDelayMillis: DEFAULT_SCHEDULE_DELAY_MS, exportTimeoutMillis: EXPORT_TIMEOUT_MS, maxQueueSize: DEFAULT_MAX_QUEUE_SIZE, maxExportBatchSize: 512 });
  t.same(bsp({ OTEL_BSP_SCHEDULE_DELAY: '5000', OTEL_BSP_MAX_QUEUE_SIZE: '100000', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1000', OTEL_BSP_EXPORT_TIMEOUT: '700' }), {
    scheduledDelayMillis: 5000,
    exportTimeoutMillis: 700,
    maxQueueSize: 100000,
    maxExportBatchSize: 1000,
  });
  t.equal(bsp({ OTEL_BSP_EXPORT_TIMEOUT: '30000' }).exportTimeoutMillis, EXPORT_TIMEOUT_MS, 'a longer export timeout is cut to the flush bound');
  const odd = otlpSettings(true, { OTEL_BSP_MAX_QUEUE_SIZE: 'lots', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4096' });
  t.equal(exporting(odd).bsp.maxExportBatchSize, DEFAULT_MAX_QUEUE_SIZE);
  t.match(odd.warnings, [/OTEL_BSP_MAX_QUEUE_SIZE=lots is not a positive integer; ignored/, /OTEL_BSP_MAX_EXPORT_BATCH_SIZE=4096 is larger than the queue \(2048\)/]);

  const c = await startCollector();
  t.teardown(() => c.stop());
  const total = 1 + 2000;
  const warnings = await exportSpans(c.endpoint, { OTEL_BSP_MAX_QUEUE_SIZE: '100' }, 2000);
  t.equal(warnings.length, 1, warnings.join('\n'));
  const dropped = Number(/^(\d+) spans dropped: the export queue \(100\) was full; raise it with OTEL_BSP_MAX_QUEUE_SIZE$/.exec(warnings[0])?.[1]);
  t.ok(dropped > 0, warnings[0]);
  t.ok(await c.waitFor((s) => s.length === total - dropped), 'the count is exactly what the collector did not get');
  t.equal(c.spans.length, total - dropped);
});
