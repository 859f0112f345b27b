// spinner.ts: on a terminal, a guest call that runs longer than ~300 ms shows
// an ora spinner with the function name and elapsed time on stderr, cleared
// before the result is printed. ora is loaded only when one is shown.
//
// The spinner must not touch signals or stdin: hl run handles SIGINT/SIGTERM
// itself (cancel the guest, export telemetry, exit 130/143). ora's hideCursor
// goes through cli-cursor to restore-cursor, which installs signal-exit's
// SIGINT/SIGTERM handlers; once hl's own one-shot handler has run, signal-exit
// sees itself alone and re-raises the signal, killing hl mid-cancel (no error
// line, no metrics file, and bash skips the rest of the command line). Its
// discardStdin does the same through stdin-discarder. So both are off, and
// the spinner hides and shows the cursor itself, with an 'exit' hook as a
// last resort.
import { currentFilter } from '../observability/logging';
import { Level } from '../observability/log-filter';

export const SPINNER_DELAY_MS = 300;

export interface SpinnerGate {
  json?: boolean;
  quiet?: boolean;
  trace?: boolean;
}

/** Never in a pipe, on a terminal that cannot erase a line (TERM=dumb), with --json or --quiet, under CI, or when logs would interleave. */
export function spinnerAllowed(opts: SpinnerGate): boolean {
  if (!process.stderr.isTTY || opts.json || opts.quiet || process.env.CI === 'true' || process.env.CI === '1') return false;
  if (process.env.TERM === 'dumb') return false; // its frames would stay on the screen
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
    spinner = ora({ text: text(), stream: process.stderr, discardStdin: false, hideCursor: false });
    hideCursor();
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
      showCursor();
    },
  };
}

const HIDE = '\x1b[?25l';
const SHOW = '\x1b[?25h';
let cursorHidden = false;

function hideCursor(): void {
  if (cursorHidden) return;
  cursorHidden = true;
  process.stderr.write(HIDE);
  process.once('exit', showCursor); // an exit with the spinner still up (process.exit) shows it too
}

function showCursor(): void {
  if (!cursorHidden) return;
  cursorHidden = false;
  process.removeListener('exit', showCursor);
  process.stderr.write(SHOW);
}
