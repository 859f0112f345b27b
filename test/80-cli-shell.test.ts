// hl-test: slow
// A CLI that behaves in a shell: spinner only on a terminal, --quiet, colours,
// hl bench, completion, guests-path.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { cleanEnv, hl, hlBin, root, simpleguest, hangGuard } from './helpers';

const G = simpleguest;

/** Runs hl in a pseudo-terminal (util-linux `script`), 100 columns wide. */
function inPty(args: string, env: Record<string, string> = {}) {
  const cmd = `stty cols 100 rows 30; ${JSON.stringify(process.execPath)} ${JSON.stringify(hlBin)} ${args}`;
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', input: '', timeout: hangGuard(30_000), env: cleanEnv({ TERM: 'xterm-256color', ...env }) });
  return { status: r.status, out: r.stdout };
}

t.test('a slow call shows a spinner on a terminal, cleared before the result', async (t) => {
  const r = inPty(`run ${G} --fn Spin --timeout 1200ms`);
  t.match(r.out, /calling Spin \(\d+\.\ds\)/, 'spinner with the function and elapsed time');
  t.match(r.out, /\x1b\[\?25h/, 'the cursor is restored');
  t.match(r.out, /hl: error: Spin cancelled/);
  const fast = inPty(`run ${G} --fn Echo --arg quick`);
  t.notMatch(fast.out, /calling Echo/, 'no spinner for a fast call');
  t.match(fast.out, /quick/);
});

t.test('a terminal that reports no width gets no spinner (and no hang)', async (t) => {
  const cmd = `stty cols 0 rows 0; ${JSON.stringify(process.execPath)} ${JSON.stringify(hlBin)} run ${G} --fn Spin --timeout 700ms`;
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', input: '', timeout: hangGuard(30_000), env: cleanEnv({ TERM: 'xterm-256color' }) });
  t.equal(r.signal, null, 'finished on its own');
  t.notMatch(r.stdout, /calling Spin/);
  t.match(r.stdout, /timed out after 700 ms/);
});

t.test('never a spinner in a pipe, with --json, --quiet, or under CI', async (t) => {
  t.notMatch(hl(['run', G, '--fn', 'Spin', '--timeout', '700ms']).stderr, /calling/, 'pipe');
  t.notMatch(inPty(`run ${G} --fn Spin --timeout 700ms --json`).out, /calling Spin/, '--json');
  t.notMatch(inPty(`run ${G} --fn Spin --timeout 700ms --quiet`).out, /calling Spin/, '--quiet');
  t.notMatch(inPty(`run ${G} --fn Spin --timeout 700ms`, { CI: 'true' }).out, /calling Spin/, 'CI=true');
  t.notMatch(inPty(`run ${G} --fn Spin --timeout 700ms --log info`).out, /calling Spin/, 'logs would interleave');
});

t.test('--quiet prints only the result', async (t) => {
  const r = hl(['run', G, '--fn', 'LogMessage', '--arg', 'x', '--arg', '4', '--quiet', '--metrics-push', 'http://127.0.0.1:9']);
  t.equal(r.status, 0);
  t.equal(r.stderr, '', 'no log record, no warning');
  t.equal(hl(['run', G, '--fn', 'Echo', '--arg', 'only this', '-q']).stdout, 'only this\n');
  t.match(hl(['run', G, '--fn', 'ReadNull', '--quiet']).stderr, /^hl: error: /, 'errors still say why');
});

t.test('colours follow the terminal, NO_COLOR and FORCE_COLOR', async (t) => {
  const esc = /\x1b\[3\dm/;
  t.notMatch(hl(['run', G, '--fn', 'LogMessage', '--arg', 'x', '--arg', '4']).stderr, esc, 'no colour in a pipe');
  t.match(hl(['run', G, '--fn', 'LogMessage', '--arg', 'x', '--arg', '4'], { env: { FORCE_COLOR: '1' } }).stderr, esc, 'FORCE_COLOR');
  t.match(inPty(`run ${G} --fn LogMessage --arg x --arg 4`).out, esc, 'colour on a terminal');
  t.notMatch(inPty(`run ${G} --fn LogMessage --arg x --arg 4`, { NO_COLOR: '1' }).out, esc, 'NO_COLOR');
});

t.test('hl bench', async (t) => {
  const r = hl(['bench', G, '--fn', 'Echo', '--arg', 'x', '-n', '300', '--warmup', '20', '--json', '--compare-raw']);
  t.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.equal(j.count, 300);
  t.ok(j.minUs > 0 && j.minUs <= j.p50Us && j.p50Us <= j.p90Us && j.p90Us <= j.p99Us && j.p99Us <= j.maxUs, 'positive and ordered');
  t.ok(j.callsPerSecond > 0);
  t.ok(j.rawCallUs > 0 && j.ratio > 0, 'raw baseline and ratio');
  const text = hl(['bench', G, '--fn', 'SetStatic', '--arg', '1', '-n', '100', '--restore']);
  t.match(text.stdout, /^SetStatic: 100 calls with restore in [\d.]+ s, [\d,]+ calls\/s\n  min [\d.]+ µs   p50 [\d.]+ µs   p90 [\d.]+ µs   p99 [\d.]+ µs   max [\d.]+ µs\n$/);
  t.equal(hl(['bench', G, '--fn', 'Echo', '--arg', 'x', '-n', '0']).status, 2);
});

t.test('completion', async (t) => {
  const bin = mkdtempSync(path.join(tmpdir(), 'hl-path-'));
  writeFileSync(path.join(bin, 'hl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(hlBin)} "$@"\n`);
  chmodSync(path.join(bin, 'hl'), 0o755);
  const complete = (words: string[]) => {
    const script = `source <(hl completion bash); COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _hl; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', script], { cwd: root, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    return r.stdout.trim().split('\n').filter(Boolean);
  };
  t.same(complete(['hl', 'run', 'guests/bin/simpleguest.bin', '--fn', 'EchoI']), ['EchoI32', 'EchoI64'], 'function names from the guest');
  t.same(complete(['hl', 'ins']), ['inspect']);
  t.ok(complete(['hl', 'run', '--metrics-']).includes('--metrics-dump'));
  t.ok(complete(['hl', 'bench', '--comp']).includes('--compare-raw'));
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const zsh = spawnSync('zsh', ['-c', 'source <(hl completion zsh) && complete -p hl'], { cwd: root, encoding: 'utf8', env });
  t.equal(zsh.status, 0, zsh.stderr);
  t.match(zsh.stdout, /complete -o filenames -F _hl hl/, 'zsh loads it and registers hl');
  const fish = (line: string) =>
    spawnSync('fish', ['-c', `hl completion fish | source; complete -C "${line}"`], { cwd: root, encoding: 'utf8', env }).stdout.trim().split('\n').map((l) => l.split('\t')[0]);
  t.same(fish('hl run guests/bin/simpleguest.bin --fn EchoI'), ['EchoI32', 'EchoI64'], 'fish: function names from the guest');
  t.same(fish('hl ru'), ['run'], 'fish: commands');
  t.ok(fish('hl run --metrics-').includes('--metrics-dump'), 'fish: flags');
  t.equal(hl(['completion', 'tcsh']).status, 2);
});

t.test('guests-path', async (t) => {
  t.equal(hl(['guests-path']).stdout, path.join(root, 'guests', 'bin') + '\n');
  t.equal(hl(['guests-path', '--sdk']).stdout, path.join(root, 'guests', 'sdk') + '\n');
});

t.test('Ctrl-C stops the guest, still exports telemetry, and exits 130 (SIGTERM: 143)', async (t) => {
  const { spawn } = await import('node:child_process');
  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    const child = spawn(process.execPath, [hlBin, 'run', G, '--fn', 'Spin', '--metrics-dump=-'], { env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise((r) => setTimeout(r, hangGuard(800))); // the guest is spinning by now (start-up takes seconds under emulation)
    child.kill(signal);
    const code = await new Promise((resolve) => child.on('close', (c) => resolve(c)));
    t.equal(code, status, `${signal}: exit ${status}`);
    t.equal(stderr, `hl: error: Spin cancelled: interrupted by ${signal}\n`);
    t.match(stdout, /^hyperlight_number_of_cancelled_guest_execution 1$/m, 'metrics still dumped');
  }
});
