// interrupt.ts: Ctrl-C (SIGINT) and SIGTERM cancel what hl is doing instead of
// killing it, so that the error line, the metrics dump and the trace tree still
// come out and the exit status says which signal (130/143). One signal only:
// the handlers are one-shot, so a second Ctrl-C ends hl at once (the default
// action). Nothing else in hl may install SIGINT/SIGTERM handlers (see
// spinner.ts for the one that did).

export interface Interrupt {
  /** The signal that arrived, if one did. */
  readonly by: NodeJS.Signals | undefined;
  /** Removes the handlers (after the work ended, signals kill as usual). */
  dispose(): void;
}

/** Calls `cancel` with "interrupted by SIGINT" (or SIGTERM) on the first such signal. */
export function cancelOnSignals(cancel: (reason: Error) => void): Interrupt {
  let by: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    by = signal;
    cancel(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    get by() {
      return by;
    },
    dispose() {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}
