// hl-test: no-kvm
// Histogram bucket bounds in the one form Prometheus' Go code prints them
// (src/observability/exposition.ts): the real Pushgateway from Debian is the
// oracle for goFloat (it re-prints every `le` with Go's
// strconv.FormatFloat(f, 'g', -1, 64)), and promtool parses what hl prints.
import { Registry } from 'prom-client';
import t from 'tap';
import { canonicalExposition, goFloat, metricsText } from '../src/observability/exposition';
import { MetricNames, metricsObserver, setMetricsRegistry } from '../src/observability/metrics';
import { promtool, startPushgateway } from './helpers';

const BOUNDS = [
  0.1, 0.5, 2.5, 10, 100, 250_000, 999_999, 1_000_000, 1_000_001, 1_234_567, 5_000_000, 1e7, 123456789, 1e15, 1e20, 1e21, 1e22, 1.5e300,
  0.0001, 0.00012345, 0.0005, 0.00005, 1e-5, 1e-7, 5e-324, 2 ** 53, 1 / 3, 2 / 3 * 1e6, 0.1 + 0.2, 33.333333333333336,
];

t.test('goFloat prints every bound as the Pushgateway does', async (t) => {
  const gw = await startPushgateway();
  t.teardown(gw.stop);
  // prom-client's form (String(x)) goes in; the gateway's Go code prints it back.
  const lines = BOUNDS.map((b, i) => `probe_bucket{i="${i}",le="${String(b)}"} ${i}`);
  const body = `# TYPE probe histogram\n${lines.join('\n')}\nprobe_bucket{i="x",le="+Inf"} 1\nprobe_sum 0\nprobe_count 0\n`;
  const res = await fetch(`${gw.url}/metrics/job/exposition`, { method: 'PUT', body });
  t.equal(res.status, 200, await res.text());
  const back = await (await fetch(`${gw.url}/metrics`)).text();
  const printed = new Map<string, string>();
  for (const m of back.matchAll(/^probe_bucket\{.*i="(\d+)".*le="(?!\+Inf)([^"]+)"\}/gm)) printed.set(m[1], m[2]);
  t.equal(printed.size, BOUNDS.length, 'every bound came back');
  BOUNDS.forEach((b, i) => t.equal(goFloat(b), printed.get(String(i)), `${String(b)} prints as Go prints it`));
  t.equal(goFloat(Infinity), '+Inf');
  t.equal(goFloat(-2.5e-9), '-2.5e-09');
  t.equal(goFloat(0), '0');
});

t.test("hl's own text: bounds rewritten, nothing else touched", async (t) => {
  const registry = new Registry();
  setMetricsRegistry(registry);
  t.teardown(() => setMetricsRegistry(null));
  const o = metricsObserver(true, new Set(['HostAdd']))!;
  // A guest may name a function anything: a label value that looks like a bound must stay as it is.
  o.onCallEnd!({ fn: 'x",le="1000000"} 7', durationUs: 2_000_000 });
  o.onCallEnd!({ fn: 'Add', durationUs: 40 });
  o.onCreate!({ durationUs: 1500, memSize: 1 << 20 });
  const raw = await registry.metrics();
  const text = await metricsText(registry);
  t.match(raw, /le="1000000"/, 'prom-client prints the JavaScript form');
  t.notMatch(text, /le="1000000"/, 'hl does not');
  t.match(text, new RegExp(`^${MetricNames.guestCallDuration}_bucket\\{le="1e\\+06",function_name="Add"\\} 1$`, 'm'));
  t.match(text, new RegExp(`^${MetricNames.guestCallDuration}_bucket\\{le="5e\\+06",function_name="Add"\\} 1$`, 'm'));
  t.match(text, /le="1e\+06",function_name="x\\",le=\\"1000000\\"} 7"\} 0/, 'the guest text is kept, the real bound rewritten');
  t.equal(canonicalExposition('# TYPE h histogram\nh_bucket{a="\\\\",le="1000000"} 1\n'), '# TYPE h histogram\nh_bucket{a="\\\\",le="1e+06"} 1\n', 'an escaped backslash ends no value early');
  t.match(text, new RegExp(`^${MetricNames.creationDuration}_bucket\\{le="0.0005"\\} 0$`, 'm'), 'bounds Go prints in decimal are unchanged');
  t.equal(text.split('\n').length, raw.split('\n').length, 'no line added or lost');
  const r = promtool(text);
  t.not(r.status, 1, `promtool parses it: ${r.output}`);
  t.equal(canonicalExposition('# TYPE c counter\nc_bucket{le="1000000"} 1\n'), '# TYPE c counter\nc_bucket{le="1000000"} 1\n', 'only histograms are touched');
});
