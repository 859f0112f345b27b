// Guest text reaches a terminal inert: escape sequences (OSC, CSI, C1), CR and
// newlines that would forge an `hl: error:` line are shown escaped, in every
// place the CLI prints what a guest chose: HostPrint, logs, the --trace tree,
// inspect, errors with their stack, the metrics dump, --json. Each check runs
// hl (or the CLI module that prints) in a real pseudo-terminal (util-linux
// `script`) and reads the bytes the terminal received.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { cleanEnv, guest, hl, hlBin, root, simpleguest, testGuest, hangGuard } from './helpers';

/** OSC (window title), clear screen, C1 CSI, a forged line after a newline, another after a CR. */
const HOSTILE = '\x1b]0;pwned\x07\x1b[2J\u009b31mred\nhl: error: forged line\rhl: error: forged by cr';

/** Runs a shell command in a pseudo-terminal, HOSTILE in its environment; what the terminal got, and the exit status. */
function inPty(command: string, env: Record<string, string> = {}) {
  const r = spawnSync('script', ['-qfec', `stty cols 200 rows 50; ${command}`, '/dev/null'], {
    cwd: root,
    encoding: 'utf8',
    input: '',
    timeout: hangGuard(60_000),
    env: cleanEnv({ TERM: 'xterm-256color', HOSTILE, ...env }),
  });
  return { out: r.stdout, status: r.status };
}

const node = JSON.stringify(process.execPath);
const hlCmd = `${node} ${JSON.stringify(hlBin)}`;
const dist = (p: string) => JSON.stringify(path.join(root, 'dist', p));

/** The terminal saw none of the hostile controls raw, and no line it shows starts with the forged text. */
function inert(t: Test, out: string, what: string, { lines = true } = {}) {
  t.notOk(out.includes('\x1b]0;pwned'), `${what}: no raw OSC`);
  t.notOk(out.includes('\x1b[2J'), `${what}: no raw CSI`);
  t.notOk(out.includes('\u009b'), `${what}: no raw C1 CSI`);
  t.notMatch(out, /[^\n]\rhl: error: forged/, `${what}: no CR that rewrites the line`);
  if (lines) t.notMatch(out, /^hl: error: forged/m, `${what}: no forged hl line`);
  t.match(out, /\\x1b\]0;pwned|\\u001b\]0;pwned/, `${what}: the text is shown, escaped`);
}

// Without KVM: the modules that print, driven directly, in a real terminal.

t.test('HostPrint on a terminal keeps newlines, escapes the rest', async (t) => {
  const r = inPty(`${node} -e 'require(${dist('src/cli/host-functions.js')}).defaultHostFunctions()[0].fn(process.env.HOSTILE)'`);
  inert(t, r.out, 'HostPrint', { lines: false });
  t.match(r.out, /red\r?\nhl: error: forged line\\rhl: error: forged by cr/, 'its own newline stays a newline; the CR is shown');
});

t.test('log records on a terminal: message and fields, guest and span records', async (t) => {
  const script = `const L = require(${dist('src/observability/logging.js')});
L.configureLogging({ filter: 'trace' });
L.emit('hyperlight_guest', 3, process.env.HOSTILE, { file: process.env.HOSTILE, line: 1 });
L.emit('tracing::span', 3, 'span ' + process.env.HOSTILE + ' opened', { span: process.env.HOSTILE });`;
  for (const format of ['pretty', 'json']) {
    const r = inPty(`${node} -e "$SCRIPT"`, { SCRIPT: script.replace("{ filter: 'trace' }", `{ filter: 'trace', format: '${format}' }`) });
    inert(t, r.out, `${format} logs`);
  }
});

t.test('the --trace tree: span and event names, attribute keys and values, errors', async (t) => {
  const script = `const { treeCollector } = require(${dist('src/observability/trace-tree.js')});
const h = process.env.HOSTILE;
const tree = treeCollector();
const span = { name: h, level: 3, target: 'hyperlight_guest', attributes: { [h]: h }, events: [{ name: h, timeMs: 2 }], startMs: 1, endMs: 3, status: { code: 'error', message: h }, parent: undefined, traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
tree.onEnd(span);
process.stderr.write(tree.render({ color: true }));`;
  const r = inPty(`${node} -e "$SCRIPT"`, { SCRIPT: script });
  inert(t, r.out, 'tree');
  t.equal(r.out.trim().split('\n').length, 3, 'one line each: trace id, span, event');
});

// With KVM: hl itself, end to end.

t.test('hl run: HostPrint, --trace, errors with their stack, the metrics dump', async (t) => {
  const print = inPty(`${hlCmd} run ${simpleguest} --fn PrintOutput --arg "$HOSTILE"`);
  inert(t, print.out, 'PrintOutput', { lines: false });
  const trace = inPty(`${hlCmd} run ${guest('hostile')} --fn HostileTrace --arg "$HOSTILE" --trace`);
  t.equal(trace.status, 0, trace.out);
  inert(t, trace.out, '--trace');
  const failed = inPty(`${hlCmd} run ${simpleguest} --fn GuestError --arg 1001 --arg "$HOSTILE" --metrics-dump`, { HL_LOG: 'debug' });
  t.equal(failed.status, 3, failed.out);
  inert(t, failed.out, 'guest error, debug stack and metrics dump');
  // Label values lose their controls before they are stored (series-limit.ts: U+FFFD).
  t.match(failed.out, /hyperlight_guest_error_count\{error_code="1001",error_message="\ufffd\]0;pwned/, 'the metric label holds no control character');
});

t.test('hl inspect on a terminal: a guest with hostile names is refused with one inert line', async (t) => {
  const r = inPty(`${hlCmd} inspect ${testGuest('bad_names')}`);
  t.equal(r.status, 66, r.out);
  t.match(r.out, /^hl: error: not a valid hl guest: function name "\$\(touch pwned-dollar\)" is not an identifier/m);
  t.equal(r.out.trim().split('\n').length, 1, 'one line');
});

t.test('--json escapes the controls JSON leaves raw, and parses to the same value', async (t) => {
  const text = 'C1\u009b2J sep\u2028bidi\u202e';
  const r = hl(['run', simpleguest, '--fn', 'Echo', '--arg', text, '--json']);
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stdout, /[\u007f-\u009f\u2028\u2029\u202e]/, 'only ASCII escapes');
  t.equal(JSON.parse(r.stdout).result, text);
});
