// spinner.ts: on a terminal, a guest call that runs longer than ~300 ms shows
// an ora spinner with the function name and elapsed time on stderr, cleared
// before the result is printed. ora is loaded only when one is shown.
import { currentFilter } from '../observability/logging';
import { Level } from '../observability/log-filter';

export const SPINNER_DELAY_MS = 300;

export interface SpinnerGate {
  json?: boolean;
  quiet?: boolean;
  trace?: boolean;
}

/** Never in a pipe, with --json or --quiet, under CI, or when logs would interleave. */
export function spinnerAllowed(opts: SpinnerGate): boolean {
  if (!process.stderr.isTTY || opts.json || opts.quiet || process.env.CI === 'true' || process.env.CI === '1') return false;
  // A terminal that reports no width (a pty nobody sized) would make ora's line
  // clearing loop without end: no spinner there.
  if (!((process.stderr as { columns?: number }).columns! > 0)) return false;
  // Records above error level would be written to the same terminal mid-spin.
  const f = currentFilter();
  return f.isDefault || (f.maxLevelFor('hyperlight') <= Level.error && f.maxLevelFor('tracing') <= Level.error);
}

export interface Spinner {
  stop(): void;
}

const NONE: Spinner = { stop() {} };

export function startSpinner(label: string, opts: SpinnerGate): Spinner {
  if (!spinnerAllowed(opts)) return NONE;
  const started = Date.now();
  let spinner: { text: string; stop(): void; start(): unknown } | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const text = () => `${label} (${((Date.now() - started) / 1000).toFixed(1)}s)`;
  const timer = setTimeout(() => {
    const ora = (require('ora') as { default: (o: Record<string, unknown>) => { text: string; stop(): void; start(): unknown } }).default;
    spinner = ora({ text: text(), stream: process.stderr, discardStdin: false });
    spinner.start();
    ticker = setInterval(() => spinner && (spinner.text = text()), 100);
    ticker.unref();
  }, SPINNER_DELAY_MS);
  timer.unref();
  return {
    stop() {
      clearTimeout(timer);
      if (ticker) clearInterval(ticker);
      spinner?.stop(); // clears its line
      spinner = undefined;
    },
  };
}
