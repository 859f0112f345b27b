// hl-test: slow
// Without a guest or a terminal (no KVM): hl's signal handling
// (src/cli/interrupt.ts) in a real node child sent real signals, and the
// warning line (src/cli/warn.ts) with text a hostile OTLP collector or
// Pushgateway chose. The terminal side of Ctrl-C is test/85-cli-interrupt-tty.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';

const cli = path.join(__dirname, '..', 'src', 'cli');

interface Child {
  send(signal: NodeJS.Signals): void;
  waitFor(text: string): Promise<void>;
  ended: Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** `node -e script args`, killed by a hang guard at 20 s. */
function start(script: string, ...args: string[]): Child {
  // tap puts its loader (with signal handlers of its own) into every child's
  // NODE_OPTIONS, even when removed from env: env -u takes it out.
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', script, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stderr.on('data', (d) => {
    stderr += d;
    for (const w of waiters.splice(0)) w();
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return {
    send: (signal) => child.kill(signal),
    waitFor: (text) =>
      new Promise<void>((resolve) => {
        const check = () => (stderr.includes(text) || child.exitCode !== null ? resolve() : waiters.push(check));
        check();
      }),
    ended: new Promise((resolve) =>
      child.on('close', (status, signal) => {
        clearTimeout(guard);
        resolve({ status, signal, stderr });
      }),
    ),
  };
}

// hl run's handlers around a cancellation that takes its time (a guest that
// does not stop at once): the first signal cancels, hl keeps going.
const slowCancel = `
  const { cancelOnSignals } = require(${JSON.stringify(path.join(cli, 'interrupt.js'))});
  cancelOnSignals((reason) => process.stderr.write('cancelled: ' + reason.message + '\\n'));
  setInterval(() => {}, 1000);
  process.stderr.write('ready\\n');`;

const pairs = [['SIGINT', 'SIGTERM', 143], ['SIGTERM', 'SIGINT', 130], ['SIGINT', 'SIGINT', 130], ['SIGTERM', 'SIGTERM', 143]] as const;
for (const [first, second, status] of pairs) {
  t.test(`${first} then ${second}: the first cancels, the second ends hl at once with ${status}`, async (t) => {
    const c = start(slowCancel);
    await c.waitFor('ready\n');
    c.send(first);
    await c.waitFor(`cancelled: interrupted by ${first}\n`);
    c.send(second);
    const r = await c.ended;
    t.equal(r.status, status, `exit ${status} (not killed by the hang guard): ${r.stderr}`);
    t.equal(r.signal, null, 'an exit, so exit handlers run');
    t.equal(r.stderr.match(/cancelled/g)?.length, 1, 'cancelled once');
  });
}

t.test('a signal during the flush leaves no temporary file of --metrics-dump=FILE behind', async (t) => {
  // hl's end of a run (endOnSignals) around a large dump; SIGTERM is sent as
  // soon as the temporary file shows. Whenever it lands, what is left is the
  // old file or the whole new one, never a .tmp.
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-flush-'));
  const file = path.join(dir, 'm.prom');
  const script = `
    const { endOnSignals } = require(${JSON.stringify(path.join(cli, 'interrupt.js'))});
    const { writeOutput } = require(${JSON.stringify(path.join(cli, 'output-file.js'))});
    endOnSignals();
    process.stderr.write('ready\\n');
    const text = 'x'.repeat(64 << 20);
    (async () => { for (;;) { await writeOutput(process.argv[1], text); await new Promise((r) => setImmediate(r)); } })();`;
  const c = start(script, file);
  await c.waitFor('ready\n');
  const seen = await new Promise<boolean>((resolve) => {
    const poll = setInterval(() => {
      if (readdirSync(dir).some((n) => n.endsWith('.tmp'))) {
        clearInterval(poll);
        c.send('SIGTERM');
        resolve(true);
      }
    }, 1);
    void c.ended.then(() => (clearInterval(poll), resolve(false)));
  });
  const r = await c.ended;
  t.ok(seen, 'the temporary file was seen before the signal');
  t.equal(r.status, 143, `exit 143: ${r.stderr}`);
  t.same(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left');
  const names = readdirSync(dir);
  if (names.includes('m.prom')) t.equal(statSync(file).size % (64 << 20), 0, 'the dump is whole');
});

t.test('a warning carrying a collector\'s or gateway\'s error text is one inert line', async (t) => {
  const hostile = 'HTTP 500: \x1b]0;owned\x07\x1b[2J\rhl: error: forged\n\u202eevil';
  const c = start(`require(${JSON.stringify(path.join(cli, 'warn.js'))}).warn('metrics push to http://gw failed: ' + process.argv[1]);`, hostile);
  const r = await c.ended;
  t.equal(r.status, 0);
  t.equal(r.stderr, 'hl: warning: metrics push to http://gw failed: HTTP 500: \\x1b]0;owned\\x07\\x1b[2J\\rhl: error: forged\\n\\u202eevil\n');
  t.notMatch(r.stderr, /[\x00-\x09\x0b-\x1f\u202e]/, 'no control character reaches stderr');
});
