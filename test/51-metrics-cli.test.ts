// Metrics out of a CLI run: dump (stderr, stdout, file), /metrics during the
// run, a push to a real Pushgateway; checked with promtool.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { freePort, hangGuard, hlAsync, hlBin, hl, promtool, simpleguest, startPrometheus, startPushgateway } from './helpers';

const G = simpleguest;
// Hyperlight's metric names predate Prometheus' naming lint; hl keeps them on purpose.
const HYPERLIGHT_LINT = /^hyperlight_\w+ (counter metrics should have "_total" suffix|non-histogram and non-summary metrics should not have "_count" suffix|use base unit "seconds" instead of "microseconds")$/;

function checkExposition(t: Test, text: string) {
  const r = promtool(text);
  t.not(r.status, 1, `promtool parses it: ${r.output}`);
  const problems = r.output.trim().split('\n').filter((l) => l && !HYPERLIGHT_LINT.test(l));
  t.same(problems, [], 'no lint problems beyond Hyperlight\'s own names');
}

t.test('--metrics-dump goes to stderr; stdout keeps the result', async (t) => {
  const r = hl(['run', G, '--fn', 'Echo', '--arg', 'hi', '--metrics-dump']);
  t.equal(r.status, 0);
  t.equal(r.stdout, 'hi\n');
  t.match(r.stderr, /^# HELP hyperlight_guest_error_count/m);
  checkExposition(t, r.stderr);
});

t.test('--metrics-dump=- prints after the result on stdout', async (t) => {
  const r = hl(['run', G, '--fn', 'GuestError', '--arg', '42', '--arg', 'bad input', '--metrics-dump=-']);
  t.equal(r.status, 3, 'the exit code is the run\'s');
  t.match(r.stdout, /hyperlight_guest_error_count\{error_code="42",error_message="bad input"\} 1/);
  t.match(r.stderr, /returned error 42/);
  checkExposition(t, r.stdout);
});

t.test('--metrics-dump=FILE is written atomically and holds every metric', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-prom-'));
  const file = path.join(dir, 'hl.prom');
  const r = hl(['run', G, '--fn', 'Add', '--arg', '1', '--arg', '2', '--repeat', '3', '--function-call-metrics', `--metrics-dump=${file}`]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '3\n3\n3\n');
  t.same(readdirSync(dir), ['hl.prom'], 'no temporary file left behind');
  const text = readFileSync(file, 'utf8');
  t.match(text, /hyperlight_guest_function_call_duration_microseconds_count\{function_name="Add"\} 3/);
  t.match(text, /hyperlight_host_function_calls_duration_microseconds_count\{function_name="HostAdd"\} 3/);
  t.match(text, /^hyperlight_number_of_cancelled_guest_execution 0$/m);
  t.match(text, /^hl_last_success_timestamp_seconds \d+/m);
  checkExposition(t, text);
  const bad = hl(['run', G, '--fn', 'Echo', '--arg', 'x', '--metrics-dump=/no/such/dir/hl.prom']);
  t.equal(bad.status, 74, 'an unwritable dump file is an error after a run that succeeded (EX_IOERR)');
  t.match(bad.stderr, /^hl: error: cannot write metrics to \/no\/such\/dir\/hl\.prom: no such folder$/m);
});

t.test('a timeout counts as a cancelled execution', async (t) => {
  const r = hl(['run', G, '--fn', 'Spin', '--timeout', '3s', '--metrics-dump=-']); // longer than start-up, even under emulation
  t.equal(r.status, 124);
  t.match(r.stdout, /^hyperlight_number_of_cancelled_guest_execution 1$/m);
});

t.test('--repeat with and without --restore', async (t) => {
  t.equal(hl(['run', G, '--fn', 'Increment', '--repeat', '3']).stdout, '1\n2\n3\n', 'state carries over');
  t.equal(hl(['run', G, '--fn', 'Increment', '--repeat', '3', '--restore']).stdout, '1\n1\n1\n', 'restored between calls');
  t.equal(hl(['run', G, '--fn', 'Echo', '--arg', 'x', '--repeat', '0']).status, 2);
  const r = hl(['run', G, '--fn', 'GuestError', '--arg', '1', '--arg', 'e', '--repeat', '5', '--metrics-dump=-']);
  t.equal(r.status, 3, 'stops at the first failure');
  t.match(r.stdout, /hyperlight_guest_error_count\{error_code="1",error_message="e"\} 1/);
});

t.test('--metrics-listen serves /metrics while the guest runs, and after it until scraped', async (t) => {
  // The guest spins until the timeout: long enough for the first scrape to
  // find it running, also under emulation where hl takes seconds to start.
  const child = spawn(process.execPath, [hlBin, 'run', G, '--fn', 'Spin', '--timeout', `${hangGuard(3)}s`, '--metrics-listen', '127.0.0.1:0', '--metrics-linger', '60s'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const waitFor = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const look = () => {
        const m = re.exec(stderr);
        if (m) resolve(m);
        return m;
      };
      if (look()) return;
      child.stderr.on('data', look);
      child.once('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
  child.stderr.on('data', (d) => (stderr += d));
  const url = (await waitFor(/serving metrics at (http:\/\/\S+)/))[1];
  const res = await fetch(url);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  t.match(text, /^hl_sandboxes_active 1$/m, 'scraped while the sandbox is live');
  t.equal((await fetch(url.replace('/metrics', '/other'))).status, 404);
  checkExposition(t, text);
  await waitFor(/^hl: run ended; serving its final metrics until scraped once \(at most 60 s, --metrics-linger; Ctrl-C ends now\)$/m);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.match(await (await fetch(url)).text(), /^hl_sandboxes_active 0$/m, 'the final state, after the run');
  t.equal(await exited, 124, 'then hl ends, with the run\'s status');
  t.equal(hl(['run', G, '--fn', 'Echo', '--arg', 'x', '--metrics-listen', 'nonsense']).status, 2);
});

t.test('a real Prometheus sees a run shorter than its scrape interval', async (t) => {
  const port = await freePort();
  const prometheus = await startPrometheus({ hl: `127.0.0.1:${port}` }, '1s');
  t.teardown(prometheus.stop);
  // --quiet: the result only; the wait for the scrape (bounded by --metrics-linger, a hang guard here) is silent.
  const r = await hlAsync(['run', G, '--fn', 'GuestError', '--arg', '7', '--arg', 'late', '--quiet', '--metrics-listen', `127.0.0.1:${port}`, '--metrics-linger', '120s'], {}, 180_000);
  t.equal(r.status, 3);
  t.match(r.stderr, /^hl: error: [^\n]*returned error 7[^\n]*\n$/, 'the error line only: no "serving metrics" line, no waiting line');
  // last_over_time: hl has ended, so its series are stale "now"; the stored samples are what counts.
  const errors = await prometheus.waitFor('last_over_time(hyperlight_guest_error_count{error_code="7"}[1h])', (v) => v.length > 0);
  t.same(errors.map((e) => [e.metric.error_message, e.value]), [['late', 1]], 'the final value was scraped before hl ended');
  const created = await prometheus.query('last_over_time(hl_sandboxes_created_total[1h])');
  t.same(created.map((e) => e.value), [1]);
});

t.test('--metrics-push to a real Pushgateway', async (t) => {
  const gw = await startPushgateway();
  t.teardown(gw.stop);
  // Both runs in one group (a batch job's name): the failed run keeps the earlier success.
  const group = ['--metrics-push-label', 'function=nightly'];
  const ok = hl(['run', G, '--fn', 'Echo', '--arg', 'pushed', '--metrics-push', gw.url, ...group]);
  t.equal(ok.status, 0, ok.stderr);
  t.equal(ok.stdout, 'pushed\n');
  t.equal(ok.stderr, '');
  const fail = hl(['run', G, '--fn', 'GuestError', '--arg', '5', '--arg', 'nope', '--metrics-push', gw.url, ...group]);
  t.equal(fail.status, 3);
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const key = /\bfunction="nightly",guest="simpleguest\.bin",instance="",job="hl"/;
  const lines = text.split('\n').filter((l) => key.test(l));
  t.ok(lines.some((l) => /^hyperlight_guest_error_count\{error_code="5",error_message="nope",/.test(l)), 'the error reached the gateway');
  t.ok(lines.some((l) => /^hl_last_success_timestamp_seconds\{/.test(l)), 'the earlier success is kept after a failed run');
  t.notOk(/hl_last_success_timestamp_seconds\{[^}]*\} 0$/m.test(text), 'no zero last-success');
});

t.test('an unreachable Pushgateway is one warning, not a failure', async (t) => {
  const r = hl(['run', G, '--fn', 'Echo', '--arg', 'x', '--metrics-push', 'http://127.0.0.1:9']);
  t.equal(r.status, 0);
  t.equal(r.stdout, 'x\n');
  t.match(r.stderr, /^hl: warning: metrics push to http:\/\/127\.0\.0\.1:9 failed: ECONNREFUSED\n$/);
});
