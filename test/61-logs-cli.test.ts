// hl-test: slow
// Logs end to end through `hl run ... --fn LogMessage`: filters, precedence,
// formats, nothing lost at exit.
import t from 'tap';
import { hl, simpleguest, guest } from './helpers';

const G = simpleguest;
/** Runs LogMessage(message, level) and returns the guest records on stderr. */
function logs(level: number, opts: { log?: string; env?: Record<string, string>; message?: string; format?: string } = {}) {
  const args = ['run', G, '--fn', 'LogMessage', '--arg', opts.message ?? 'hello from the guest', '--arg', String(level)];
  if (opts.log !== undefined) args.push('--log', opts.log);
  if (opts.format) args.push('--log-format', opts.format);
  const r = hl(args, { env: opts.env ?? {} });
  return { ...r, guestLines: r.stderr.split('\n').filter((l) => l.includes('hyperlight_guest')) };
}

t.test('default: error and above', async (t) => {
  t.equal(logs(4).guestLines.length, 1, 'error shown');
  t.equal(logs(5).guestLines.length, 1, 'critical shown (as error)');
  t.equal(logs(3).guestLines.length, 0, 'warn hidden');
  t.equal(logs(3).stderr, '', 'nothing else on stderr');
});

t.test('off, info, prefixes, longest match, duplicates, case', async (t) => {
  t.equal(logs(5, { log: 'off' }).stderr, '', 'off silences everything');
  t.equal(logs(2, { log: 'info' }).guestLines.length, 1);
  t.equal(logs(1, { log: 'info' }).guestLines.length, 0);
  t.equal(logs(2, { log: 'hyperlight=info' }).guestLines.length, 1, 'prefix target');
  t.equal(logs(2, { log: 'none,hyperlight_host=info' }).guestLines.length, 0, 'only host records');
  t.equal(logs(2, { log: 'hyperlight_guest=error,hyperlight=trace' }).guestLines.length, 0, 'longest match wins');
  t.equal(logs(2, { log: 'hyperlight_guest=trace,hyperlight_guest=warn' }).guestLines.length, 0, 'last duplicate wins');
  t.equal(logs(0, { log: 'hyperlight_guest=TRACE' }).guestLines.length, 1, 'levels are case-insensitive');
  t.equal(logs(4, { log: 'HYPERLIGHT_GUEST=trace' }).guestLines.length, 0, 'targets are case-sensitive');
  t.equal(logs(0, { log: 'warn,hyperlight_guest=trace' }).guestLines.length, 1);
  t.equal(logs(0, { log: '[call{function_name=LogMessage}]=trace' }).guestLines.length, 1, 'span directive');
  t.equal(logs(0, { log: '[call{function_name=Echo}]=trace' }).guestLines.length, 0);
});

t.test('an invalid directive is one warning; the rest applies', async (t) => {
  const r = logs(2, { log: 'x=verbose,hyperlight_guest=info' });
  t.equal(r.guestLines.length, 1);
  t.match(r.stderr, /^hl: warning: ignoring invalid log directive "x=verbose"$/m);
  t.equal(r.stderr.split('\n').filter((l) => l.includes('warning')).length, 1);
});

t.test('/filter keeps records whose message matches', async (t) => {
  t.equal(logs(2, { log: 'info/needle', message: 'a needle here' }).guestLines.length, 1);
  t.equal(logs(2, { log: 'info/needle', message: 'only hay' }).guestLines.length, 0);
});

t.test('--log beats HL_LOG, which beats RUST_LOG', async (t) => {
  t.equal(logs(2, { env: { RUST_LOG: 'info' } }).guestLines.length, 1, 'RUST_LOG');
  t.equal(logs(2, { env: { RUST_LOG: 'info', HL_LOG: 'off' } }).guestLines.length, 0, 'HL_LOG over RUST_LOG');
  t.equal(logs(2, { env: { HL_LOG: 'off' }, log: 'info' }).guestLines.length, 1, '--log over HL_LOG');
});

t.test('JSON: one object per line with level, time, target, msg and fields', async (t) => {
  const r = logs(3, { log: 'trace', format: 'json' });
  const records = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
  const g = records.find((x) => x.target === 'hyperlight_guest');
  t.equal(g.level, 'warn');
  t.equal(g.msg, 'hello from the guest');
  t.match(g.file, /simpleguest\.c$/);
  t.type(g.line, 'number');
  t.ok(!Number.isNaN(Date.parse(g.time)));
  t.ok(records.some((x) => x.target === 'hyperlight_host::sandbox' && x.level === 'debug' && x.msg === 'sandbox created'), 'host lifecycle at debug');
  t.ok(records.some((x) => x.target === 'hyperlight_host::vm' && x.level === 'trace' && x.exit === 'log'), 'per-exit detail at trace');
  const crit = JSON.parse(logs(5, { format: 'json' }).stderr.trim());
  t.equal(crit.level, 'error');
  t.equal(crit.critical, true);
});

t.test('pretty: time, level, target, message, fields; no colour in a pipe', async (t) => {
  const r = logs(2, { log: 'info' });
  t.match(r.stderr, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hyperlight_guest: hello from the guest \{"file":"simpleguest\/simpleguest\.c","line":\d+/m);
  t.notMatch(r.stderr, /\x1b\[/, 'no ANSI colours when stderr is not a terminal');
});

t.test('nothing is lost when the process exits right after', async (t) => {
  const r = hl(['run', guest('hostile'), '--fn', 'LogFlood', '--arg', '3000', '--log', 'info', '--log-format', 'json']);
  t.equal(r.status, 0);
  t.equal(r.stderr.trim().split('\n').filter((l) => l.includes('"flood"')).length, 3000);
  const failed = hl(['run', G, '--fn', 'Abort', '--arg', '3', '--log', 'debug', '--log-format', 'json']);
  t.equal(failed.status, 134);
  const lines = failed.stderr.trim().split('\n');
  t.ok(lines.some((l) => l.includes('"call to Abort failed"') && l.includes('"GUEST_ABORTED"')), 'the failure record made it out');
  t.match(lines.at(-1 - lines.slice().reverse().findIndex((l) => l.startsWith('hl: error:'))) ?? '', /^hl: error: guest aborted/);
});

t.test('a log flood is capped per call, with a warning', async (t) => {
  const r = hl(['run', guest('hostile'), '--fn', 'LogFlood', '--arg', '20000', '--log', 'info', '--log-format', 'json']);
  t.equal(r.status, 0);
  const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.filter((l) => l.msg === 'flood').length, 10_000);
  t.ok(lines.some((l) => l.level === 'warn' && /capped/.test(l.msg) && l.limit === 10_000));
});
