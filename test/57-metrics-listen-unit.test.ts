// hl-test: no-kvm
// --metrics-listen's endpoint (src/cli/metrics-listen.ts) scraped by a real
// Prometheus server from Debian, no guest: after the run, the endpoint waits
// for one scrape of the final state (bounded), so a run shorter than the
// scrape interval is still seen; and a histogram scraped directly and through
// the real Pushgateway is one set of series (same `le` strings).
import { Counter, Histogram, Registry } from 'prom-client';
import t from 'tap';
import { serveMetrics } from '../src/cli/metrics-listen';
import { pushMetrics } from '../src/cli/metrics-push';
import { freePort, startPrometheus, startPushgateway } from './helpers';

t.test('the final state of a run is scraped before the endpoint closes', async (t) => {
  const port = await freePort();
  const gw = await startPushgateway();
  t.teardown(gw.stop);
  const prometheus = await startPrometheus({ direct: `127.0.0.1:${port}`, gateway: gw.url.replace('http://', '') });
  t.teardown(prometheus.stop);

  const registry = new Registry();
  const calls = new Counter({ name: 'probe_calls_total', help: 'calls', registers: [registry] });
  const latency = new Histogram({ name: 'probe_latency_microseconds', help: 'µs', buckets: [100, 250_000, 1_000_000, 5_000_000], registers: [registry] });
  const endpoint = await serveMetrics(registry, { host: '127.0.0.1', port });
  // The whole "run" happens before any scrape could: Prometheus has not seen the endpoint yet.
  calls.inc(3);
  latency.observe(2_000_000);
  endpoint.ended();
  t.equal(endpoint.scraped, false);
  t.equal(await endpoint.finalScrape(120_000), true, 'a scrape of the final state came (the bound is a hang guard)');
  t.equal(await fetch(endpoint.url).then(() => 'open', () => 'closed'), 'closed', 'then the endpoint closed');

  const seen = await prometheus.waitFor('last_over_time(probe_calls_total{job="direct"}[1h])', (v) => v.length > 0); // stale once the endpoint closed
  t.same(seen.map((s) => s.value), [3], 'Prometheus stored the final value');

  // The same histogram through the Pushgateway: the same `le` strings, so the same series names.
  t.equal(await pushMetrics(registry, gw.url, { job: 'probe' }, Date.now() + 2000), undefined);
  // last_over_time: the direct endpoint closed after its final scrape, so its series are stale "now"; the stored samples are what counts.
  const q = 'count by (job, le) (last_over_time(probe_latency_microseconds_bucket[1h]))';
  const both = await prometheus.waitFor(q, (v) => new Set(v.map((s) => s.metric.job)).size === 2);
  const les = (job: string) => both.filter((s) => s.metric.job === job).map((s) => s.metric.le).sort();
  t.same(les('direct'), ['+Inf', '100', '1e+06', '250000', '5e+06']);
  t.same(les('probe'), les('direct'), 'through the gateway: the same bounds');
});

t.test('the wait is bounded, and only a scrape after the end counts', async (t) => {
  const registry = new Registry();
  const endpoint = await serveMetrics(registry, { host: '127.0.0.1', port: 0 });
  t.equal((await fetch(endpoint.url)).status, 200, 'a scrape during the run');
  endpoint.ended();
  t.equal(endpoint.scraped, false, 'does not count as the final one');
  t.equal(await endpoint.finalScrape(200), false, 'nobody scraped: given up at the bound');

  const again = await serveMetrics(registry, { host: '127.0.0.1', port: 0 });
  again.ended();
  t.equal((await fetch(again.url)).status, 200);
  t.equal(again.scraped, true, 'a scrape after the end');
  t.equal(await again.finalScrape(60_000), true, 'no wait when the final state was already scraped');

  const none = await serveMetrics(registry, { host: '127.0.0.1', port: 0 });
  t.equal(await none.finalScrape(0), false, '--metrics-linger 0: no wait');
});
