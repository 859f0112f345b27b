// hl-test: no-kvm
// --metrics-push (src/cli/metrics-push.ts) against the real Pushgateway from
// Debian, no guest: each "run" is a fresh registry fed the events a run would
// record, pushed as `hl run` pushes it. A group holds its last run: counters
// are that run's counts, never an earlier run's left beside them, and the last
// success survives failed runs.
import { Registry } from 'prom-client';
import t from 'tap';
import { groupingPath, parsePushLabel, pushGrouping, pushMetrics } from '../src/cli/metrics-push';
import { metricsObserver, setMetricsRegistry } from '../src/observability/metrics';
import { HlError } from '../src/errors';
import { startPushgateway } from './helpers';

type Event = 'ok' | 'error' | 'crash';

/** One run's registry, as `hl run` builds it, after these call outcomes. */
function runRegistry(events: Event[]): Registry {
  const registry = new Registry();
  setMetricsRegistry(registry);
  const o = metricsObserver(false, new Set())!;
  o.onCreate!({ durationUs: 900, memSize: 1 << 20 });
  for (const e of events) {
    if (e === 'ok') o.onCallEnd!({ fn: 'Work', durationUs: 40 });
    if (e === 'error') o.onCallEnd!({ fn: 'Work', durationUs: 40, error: new HlError('GUEST_ERROR', 'bad', { guestCode: 5, guestMessage: 'nope' }) });
    if (e === 'crash') o.onCallEnd!({ fn: 'Work', durationUs: 40, error: new HlError('GUEST_FAULT', 'fault', { kind: 'null_pointer' }) });
  }
  o.onDispose!();
  setMetricsRegistry(null);
  return registry;
}

/** The gateway's samples of `name` in the group job="hl",guest="batch.bin",function="Work". */
async function group(url: string, name: string): Promise<string[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes('guest="batch.bin"') && l.includes('function="Work"') && l.includes('job="hl"'));
}

t.test('a group holds the last run: its counts, and the last success', async (t) => {
  const gw = await startPushgateway();
  t.teardown(gw.stop);
  const key = pushGrouping('/srv/guests/batch.bin', 'Work');
  t.same(key, { job: 'hl', guest: 'batch.bin', function: 'Work' }, 'no instance: a service-level batch job');
  const push = async (events: Event[]) => t.equal(await pushMetrics(runRegistry(events), gw.url, key, Date.now() + 2000), undefined, 'pushed');

  await push(['ok']);
  const success = await group(gw.url, 'hl_last_success_timestamp_seconds');
  t.equal(success.length, 1);
  t.match(success[0], /instance=""/, 'the gateway marks it instance-less');

  await push(['error', 'crash']);
  t.match((await group(gw.url, 'hyperlight_guest_error_count')).join('\n'), /error_code="5",error_message="nope",.*\} 1$/m);
  t.match((await group(gw.url, 'hl_guest_crashes_total')).join('\n'), /kind="null_pointer"\} 1$/m);
  t.same(await group(gw.url, 'hl_last_success_timestamp_seconds'), success, 'a failed run keeps the last success');

  await push(['ok']);
  t.same((await group(gw.url, 'hyperlight_guest_error_count')).map((l) => l.replace(/\{.*\}/, '')), ['hyperlight_guest_error_count 0'], "the earlier run's errors are replaced, not left beside this run's 0");
  t.same((await group(gw.url, 'hl_guest_crashes_total')).map((l) => l.replace(/\{.*\}/, '')), ['hl_guest_crashes_total 0'], "and its crashes too");
  t.notSame(await group(gw.url, 'hl_last_success_timestamp_seconds'), [], 'a success is recorded');

  // Another machine running the same job replaces the same group (no instance in the key) ...
  const other = pushGrouping('batch.bin', 'Work', ['instance=web-2']);
  t.equal(await pushMetrics(runRegistry(['error']), gw.url, other, Date.now() + 2000), undefined);
  t.match((await group(gw.url, 'hyperlight_guest_error_count')).join('\n'), /instance="web-2"/, '... unless an instance label asks for a group of its own');
});

t.test('grouping labels: overrides, and values no path segment can hold', async (t) => {
  const gw = await startPushgateway();
  t.teardown(gw.stop);
  const key = pushGrouping('g.bin', 'Work', ['job=nightly', 'path=/var/tmp', 'empty=', 'name=Προμηθεύς x']);
  t.same(key, { job: 'nightly', guest: 'g.bin', function: 'Work', path: '/var/tmp', empty: '', name: 'Προμηθεύς x' });
  t.match(groupingPath(key), /^\/metrics\/job\/nightly\/guest\/g\.bin\/function\/Work\/path@base64\/L3Zhci90bXA\/empty@base64\/=\/name\/%CE%A0/);
  t.equal(await pushMetrics(runRegistry(['ok']), `${gw.url}/`, key, Date.now() + 2000), undefined);
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  t.match(text, /^hl_sandboxes_created_total\{empty="",function="Work",guest="g\.bin",instance="",job="nightly",name="Προμηθεύς x",path="\/var\/tmp"\} 1$/m);
  t.throws(() => parsePushLabel('__name__=x'), { code: 'USAGE' });
  t.throws(() => parsePushLabel('no-equals'), { code: 'USAGE' });
  t.throws(() => parsePushLabel('job='), { code: 'USAGE' });
});

t.test('a gateway that refuses the push is one message, with its reason', async (t) => {
  const gw = await startPushgateway();
  t.teardown(gw.stop);
  // The gateway refuses a family whose type differs from one another group pushed.
  const clash = await fetch(`${gw.url}/metrics/job/other`, { method: 'PUT', body: '# TYPE hl_sandboxes_active counter\nhl_sandboxes_active 1\n' });
  t.equal(clash.status, 200);
  const failure = await pushMetrics(runRegistry(['ok']), gw.url, pushGrouping('g.bin', 'Work'), Date.now() + 2000);
  t.match(failure, /^the gateway answered HTTP 400: .*hl_sandboxes_active/);
  t.equal(await pushMetrics(runRegistry([]), 'http://127.0.0.1:9', pushGrouping('g.bin', 'Work'), Date.now() + 2000), 'ECONNREFUSED');
});
