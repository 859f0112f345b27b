// bench.ts: `hl bench <guest> --fn <name>`: N calls in one sandbox, latency
// percentiles and throughput, optionally against the raw-KVM baseline.
import { Command, Option } from 'commander';
import { Sandbox } from '../../sandbox';
import { addCallArguments, resolveCall } from '../call-args';
import { defaultHostFunctions } from '../host-functions';
import { addLogOptions, applyLogOptions } from '../log-options';
import { rawBaseline } from '../raw-baseline';
import { addMemoryOptions, memoryOptions } from '../sandbox-options';
import { parseDuration } from '../units';
import { parseCount } from '../units';

interface BenchOptions {
  fn: string;
  arg: string[];
  n: number;
  warmup: number;
  restore?: boolean;
  json?: boolean;
  compareRaw?: boolean;
  timeout?: number;
  log?: string;
  logFormat?: string;
  [k: string]: unknown;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];
}

export function benchCommand(): Command {
  const cmd = addCallArguments(new Command('bench').description('call a guest function N times in one sandbox and report latency percentiles and calls per second'))
    .addOption(new Option('-n, --count <n>', 'measured calls').argParser(parseCount('-n', 1)).default(1000))
    .addOption(new Option('--warmup <n>', 'unmeasured calls first').argParser(parseCount('--warmup', 0)).default(100))
    .option('--restore', 'restore the sandbox after every call (measured with it)')
    .option('--json', 'print the figures as one JSON object')
    .option('--compare-raw', 'also run the raw-KVM C baseline (bench/raw_kvm.c, built with gcc) and print the ratio')
    .option('--timeout <duration>', 'cancel the whole bench (guest start-up included) after this long; exit 124', (v) => parseDuration(v, '--timeout'));
  addMemoryOptions(cmd);
  addLogOptions(cmd);
  cmd.addHelpText('after', `
Examples:
  $ hl bench guests/bin/simpleguest.bin --fn Echo --arg hello
  $ hl bench guests/bin/simpleguest.bin --fn Add --arg 1 --arg 2 -n 10000 --compare-raw
  $ hl bench guests/bin/simpleguest.bin --fn SetStatic --arg 1 --restore --json`);
  return cmd.action(async (guest: string, extra: string[], opts: BenchOptions & { count: number }) => {
    applyLogOptions(opts);
    const controller = new AbortController();
    const timer = opts.timeout !== undefined ? setTimeout(() => controller.abort(new Error(`timed out after ${opts.timeout} ms (--timeout)`)), opts.timeout) : undefined;
    const signal = controller.signal;
    let sandbox: Sandbox | undefined;
    try {
      sandbox = await Sandbox.create(guest, { ...memoryOptions(opts), hostFunctions: defaultHostFunctions(), signal });
      await measure(sandbox, signal, opts, extra);
    } finally {
      if (timer) clearTimeout(timer);
      sandbox?.dispose();
    }
  });

  async function measure(sandbox: Sandbox, signal: AbortSignal, opts: BenchOptions & { count: number }, extra: string[]): Promise<void> {
    {
      const { sig, args } = resolveCall(sandbox, opts.fn, [...opts.arg, ...extra]);
      const once = async () => {
        await sandbox.call(sig.name, args, { signal });
        if (opts.restore) sandbox.restore();
      };
      for (let i = 0; i < opts.warmup; i++) await once();
      const us: number[] = [];
      const started = process.hrtime.bigint();
      for (let i = 0; i < opts.count; i++) {
        const t0 = process.hrtime.bigint();
        await once();
        us.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
      const totalS = Number(process.hrtime.bigint() - started) / 1e9;
      us.sort((a, b) => a - b);
      const r1 = (x: number) => Math.round(x * 10) / 10;
      const figures: Record<string, unknown> = {
        function: sig.name,
        count: opts.count,
        minUs: r1(us[0]),
        p50Us: r1(percentile(us, 0.5)),
        p90Us: r1(percentile(us, 0.9)),
        p99Us: r1(percentile(us, 0.99)),
        maxUs: r1(us[us.length - 1]),
        callsPerSecond: Math.round(opts.count / totalS),
      };
      if (opts.compareRaw) {
        const raw = rawBaseline(Math.max(200, Math.min(2000, opts.count)), sandbox.layout.memSize);
        figures.rawCallUs = r1(raw.callUs);
        figures.ratio = Math.round(((figures.p50Us as number) / raw.callUs) * 100) / 100;
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(figures) + '\n');
        return;
      }
      const f = figures as Record<string, number>;
      process.stdout.write(
        `${sig.name}: ${opts.count} calls${opts.restore ? ' with restore' : ''} in ${totalS.toFixed(2)} s, ${f.callsPerSecond.toLocaleString('en-US')} calls/s\n` +
          `  min ${f.minUs} µs   p50 ${f.p50Us} µs   p90 ${f.p90Us} µs   p99 ${f.p99Us} µs   max ${f.maxUs} µs\n` +
          (opts.compareRaw ? `  raw KVM round trip ${f.rawCallUs} µs: hl's p50 is ${f.ratio}x\n` : ''),
      );
    }
  }
}
