// interrupt.ts: Ctrl-C (SIGINT) and SIGTERM cancel what hl is doing instead of
// killing it, so that the error line, the metrics dump and the trace tree still
// come out and the exit status says which signal (130/143). One signal only:
// after the first, a second one of either kind ends hl at once, with 130 or
// 143 by that second signal (process.exit, so 'exit' handlers still remove a
// half-written temporary file, output-file.ts). While the end of a run is
// flushed (at most 2 s), the first signal already ends hl (endOnSignals).
// Nothing else in hl may install SIGINT/SIGTERM handlers (see spinner.ts for
// the one that did).
import { constants } from 'node:os';

export interface Interrupt {
  /** The signal that arrived, if one did. */
  readonly by: NodeJS.Signals | undefined;
  /** Removes the handlers (after the work ended, signals kill as usual). */
  dispose(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Ends the process now, with the status a shell shows for death by `signal`. */
function endNow(signal: NodeJS.Signals): void {
  process.exit(128 + (constants.signals[signal] ?? 0));
}

/** Calls `cancel` with "interrupted by SIGINT" (or SIGTERM) on the first such signal; the next one ends hl. */
export function cancelOnSignals(cancel: (reason: Error) => void): Interrupt {
  let by: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (by !== undefined) return endNow(signal);
    by = signal;
    cancel(new Error(`interrupted by ${signal}`));
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  return {
    get by() {
      return by;
    },
    dispose() {
      for (const s of SIGNALS) process.removeListener(s, onSignal);
    },
  };
}

/**
 * For the end of a run: SIGINT or SIGTERM ends hl at once (130/143), after a
 * synchronous write in progress (a temporary file renamed or removed), instead
 * of killing it between the temporary file and its rename. Returns the undo.
 */
export function endOnSignals(): () => void {
  for (const s of SIGNALS) process.on(s, endNow);
  return () => {
    for (const s of SIGNALS) process.removeListener(s, endNow);
  };
}
