// Metrics through the library: Hyperlight's names, an embedder's own registry,
// opt-in histograms, guarded cardinality.
import { Registry } from 'prom-client';
import t, { type Test } from 'tap';
import { MetricNames, Sandbox, setMetricsRegistry } from '../src/sandbox';
import { MAX_ERROR_SERIES, MAX_MESSAGE_LABEL } from '../src/observability/metrics';
import { create, hostFunctions, simpleguest } from './helpers';

async function values(registry: Registry, name: string) {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values ?? [];
}

/** A fresh registry handed to hl for one test, and a sandbox recording into it. */
async function recording(t: Test): Promise<{ registry: Registry; sb: Sandbox }> {
  const registry = new Registry();
  setMetricsRegistry(registry);
  t.teardown(() => setMetricsRegistry(null));
  const sb = await create();
  t.teardown(() => sb.dispose());
  return { registry, sb };
}

t.test('counters exist at 0 before any error, in the embedder\'s registry', async (t) => {
  const { registry } = await recording(t);
  const text = await registry.metrics();
  t.match(text, /^hyperlight_guest_error_count 0$/m);
  t.match(text, /^hyperlight_number_of_cancelled_guest_execution 0$/m);
  t.notMatch(text, /hyperlight_guest_function_call_duration_microseconds/, 'histograms are opt-in');
  t.match(text, /^hl_sandboxes_created_total 1$/m);
  t.match(text, /^hl_sandboxes_active 1$/m);
});

t.test('guest errors, aborts, crashes and cancellations are counted', async (t) => {
  const { registry, sb } = await recording(t);
  await sb.call('GuestError', [1001, 'disk full']).catch(() => undefined);
  await sb.call('GuestError', [1001, 'disk full']).catch(() => undefined);
  await sb.call('Abort', [9]).catch(() => undefined);
  sb.restore();
  await sb.call('ReadNull').catch(() => undefined);
  sb.restore();
  await sb.call('Spin', [], { timeoutMs: 20 }).catch(() => undefined);
  sb.restore();
  const errors = await values(registry, MetricNames.guestErrors);
  const find = (code: string, message: string) => errors.find((v) => v.labels.error_code === code && v.labels.error_message === message)?.value;
  t.equal(find('1001', 'disk full'), 2);
  t.equal(find('9', 'guest called Abort'), 1, 'aborts carry the abort code');
  const cancelled = await values(registry, MetricNames.cancelled);
  t.equal(cancelled[0].value, 1);
  const crashes = await values(registry, MetricNames.guestCrashes);
  t.equal(crashes.find((v) => v.labels.kind === 'null_pointer')?.value, 1);
  t.ok((await values(registry, MetricNames.lastSuccess)).length === 0, 'no success yet: no last-success value');
  await sb.call('Echo', ['fine']);
  const last = (await values(registry, MetricNames.lastSuccess))[0].value;
  t.ok(Math.abs(last - Date.now() / 1000) < 60, 'last success is now');
});

t.test('function call histograms, by function name, when asked for', async (t) => {
  const registry = new Registry();
  setMetricsRegistry(registry);
  t.teardown(() => setMetricsRegistry(null));
  const sb = await Sandbox.create(simpleguest, { hostFunctions, functionCallMetrics: true });
  t.teardown(() => sb.dispose());
  for (let i = 0; i < 5; i++) await sb.call('Add', [i, 1]);
  await sb.call('Echo', ['x']);
  const guest = await values(registry, MetricNames.guestCallDuration);
  const count = (vals: typeof guest, fn: string) => vals.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count') && v.labels.function_name === fn)?.value;
  t.equal(count(guest, 'Add'), 5);
  t.equal(count(guest, 'Echo'), 1);
  const host = await values(registry, MetricNames.hostCallDuration);
  t.equal(count(host, 'HostAdd'), 5);
  const sum = guest.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum') && v.labels.function_name === 'Add')!.value;
  t.ok(sum > 0, 'durations in microseconds are positive');
});

t.test('error labels are bounded', async (t) => {
  const { registry, sb } = await recording(t);
  await sb.call('GuestError', [7, 'x'.repeat(500)]).catch(() => undefined);
  for (let i = 0; i < MAX_ERROR_SERIES + 50; i++) await sb.call('GuestError', [8, `message ${i}`]).catch(() => undefined);
  const errors = (await values(registry, MetricNames.guestErrors)).filter((v) => v.labels.error_code !== undefined);
  t.equal(errors.find((v) => v.labels.error_code === '7')!.labels.error_message!.toString().length, MAX_MESSAGE_LABEL, 'long messages are cut');
  t.ok(errors.length <= MAX_ERROR_SERIES + 2, `${errors.length} series at most`);
  t.ok(errors.find((v) => v.labels.error_message === '(other)')!.value >= 50, 'the rest are counted as (other)');
});

t.test('setMetricsRegistry(null) turns metrics off; the active gauge follows dispose', async (t) => {
  const registry = new Registry();
  setMetricsRegistry(registry);
  const a = await create();
  const b = await create();
  t.equal((await values(registry, MetricNames.sandboxesActive))[0].value, 2);
  a.dispose();
  t.equal((await values(registry, MetricNames.sandboxesActive))[0].value, 1);
  b.dispose();
  setMetricsRegistry(null);
  const c = await create();
  await c.call('GuestError', [1, 'not recorded']).catch(() => undefined);
  c.dispose();
  t.equal((await values(registry, MetricNames.sandboxesCreated))[0].value, 2, 'nothing recorded while off');
});
