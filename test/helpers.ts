// helpers.ts: shared fixtures for the tap suite (real addon, real KVM).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Sandbox, type HostFunction, type SandboxOptions } from '../src/sandbox';

export const root = path.join(__dirname, '..', '..');
export const guest = (name: string) => path.join(root, 'guests', 'bin', `${name}.bin`);
export const simpleguest = guest('simpleguest');
export const hlBin = path.join(root, 'bin', 'hl');

export const hostFunctions: HostFunction[] = [
  { name: 'HostAdd', params: ['int32', 'int32'], returns: 'int32', fn: (a: number, b: number) => (a + b) | 0 },
  { name: 'HostPrint', params: ['string'], returns: 'int32', fn: (s: string) => Buffer.byteLength(s) },
];

export function create(name = 'simpleguest', options: SandboxOptions = {}): Promise<Sandbox> {
  return Sandbox.create(guest(name), { hostFunctions, ...options });
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  raw: Buffer;
}

/** The environment a user's shell would give hl: the test runner's colour and CI settings removed. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HL_LOG: '', RUST_LOG: '' };
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'CI', 'TRACEPARENT', 'TRACESTATE']) delete env[k];
  return { ...env, ...extra };
}

export function hl(args: string[], options: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [hlBin, ...args], { cwd: root, timeout: hangGuard(30_000), maxBuffer: 64 * 1024 * 1024, ...options, env: cleanEnv(options.env as Record<string, string>) });
  const raw = Buffer.isBuffer(r.stdout) ? r.stdout : Buffer.from(r.stdout ?? '');
  return { status: r.status, stdout: raw.toString('utf8'), stderr: String(r.stderr ?? ''), raw };
}

export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

export function threadCount(): number {
  const m = /Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : -1;
}

/** A hostile guest from test/guests (built by `npm test`). */
/**
 * How many rounds a soak, fuzz or stress loop runs. Under software emulation
 * (scripts/nested-kvm sets HL_NESTED_KVM=1 on machines without /dev/kvm) code
 * runs 15-20x slower, so loops run a twentieth of their rounds (at least 50):
 * the same checks on fewer inputs.
 */
export const rounds = (n: number): number => (process.env.HL_NESTED_KVM === '1' ? Math.max(50, Math.round(n / 20)) : n);

/**
 * A hang guard (the bound after which a test gives up waiting: never a timing
 * check), ten times longer under emulation, where loading OpenTelemetry alone
 * takes seconds.
 */
export const hangGuard = (ms: number): number => (process.env.HL_NESTED_KVM === '1' ? ms * 10 : ms);

export const testGuest = (name: string) => path.join(root, 'test', 'guests', 'bin', `${name}.bin`);

export function rssBytes(): number {
  return process.memoryUsage.rss();
}

/** A free TCP port on loopback (bound, then released). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway Prometheus Pushgateway from Debian's package, on loopback. */
export async function startPushgateway(): Promise<{ url: string; stop: () => void }> {
  const { spawn } = await import('node:child_process');
  const port = await freePort();
  const child = spawn('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) return { url, stop: () => child.kill() };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error('the pushgateway did not become ready');
}

export interface PrometheusServer {
  url: string;
  /** An instant query's vector: [labels, value] per series. */
  query(q: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  /** Polls `q` (bounded: about `tries` x 100 ms) until some series satisfies `ok`; the last answer. */
  waitFor(q: string, ok: (v: { metric: Record<string, string>; value: number }[]) => boolean, tries?: number): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): void;
}

/**
 * A throwaway Prometheus server from Debian's package (/usr/bin/prometheus),
 * storage in a temporary folder, scraping `targets` (job name -> host:port,
 * honor_labels on, as for a Pushgateway) every `interval`.
 */
export async function startPrometheus(targets: Record<string, string>, interval = '500ms'): Promise<PrometheusServer> {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-prometheus-'));
  const jobs = Object.entries(targets).map(([job, target]) => `  - job_name: ${JSON.stringify(job)}\n    honor_labels: true\n    static_configs:\n      - targets: [${JSON.stringify(target)}]\n`);
  writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: ${interval}\n  scrape_timeout: ${interval}\nscrape_configs:\n${jobs.join('')}`);
  const port = await freePort();
  const child = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    child.kill();
    child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  };
  const query: PrometheusServer['query'] = async (q) => {
    const body = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  const waitFor: PrometheusServer['waitFor'] = async (q, ok, tries = 600) => {
    let last: Awaited<ReturnType<typeof query>> = [];
    for (let i = 0; i < tries; i++) {
      last = await query(q);
      if (ok(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    return last;
  };
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) return { url, query, waitFor, stop };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  throw new Error(`prometheus did not become ready: ${log}`);
}

/** Runs `promtool check metrics` on a text exposition. */
export function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Runs hl without blocking the event loop (for servers living in the test process). */
export function hlAsync(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliResult & { ms: number }> {
  timeoutMs = hangGuard(timeoutMs);
  return import('node:child_process').then(
    ({ spawn }) =>
      new Promise((resolve) => {
        const started = Date.now();
        const child = spawn(process.execPath, [hlBin, ...args], { cwd: root, env: cleanEnv(env) });
        const out: Buffer[] = [];
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('close', (status) => {
          clearTimeout(timer);
          const raw = Buffer.concat(out);
          resolve({ status, stdout: raw.toString('utf8'), stderr, raw, ms: Date.now() - started });
        });
      }),
  );
}
