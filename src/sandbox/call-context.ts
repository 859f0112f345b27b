// call-context.ts: the state of one piece of guest work (a call, or the
// guest's init): its spans, counters and cancellation. Made when the work
// starts and dropped when it ends, so nothing of one call leaks into the next.
import type { SpanRef } from '../observability/log-filter';
import { type Span, noopSpan } from '../observability/tracing';
import type { LogBudget } from './log-budget';
import type { RunIntervals } from './guest-clock';

/** Thrown inside the exit loop on cancellation; not an Error, so no stack trace is captured twice. */
export const CANCELLED = Symbol('cancelled');

export class CallContext {
  /** The spans this work is inside, outermost first (for [span] log directives). */
  readonly spans: SpanRef[];
  /** The span vCPU runs and host calls attach to (a SpanBudget, or the no-op span). */
  readonly traceParent: Span;
  /** Guest logging of this call, made at its first record. */
  logBudget: LogBudget | undefined;
  /** Host function failures logged so far (the guest chooses how many happen). */
  hostErrors = 0;
  /** `vm exit` trace records written so far. */
  exitLogs = 0;
  /** The host times of this call's vCPU runs, while guest spans are wanted: they place the guest's TSC stamps (guest-clock.ts). */
  runTimes: RunIntervals | undefined;
  /** Under gdb: decides whether a fault or paused exit was a breakpoint, a step or gdb's
   * interrupt (the guest then resumes). */
  debugStop: ((exit: import('../native').RawExit) => Promise<boolean>) | undefined;
  /** Rejects when the work is cancelled, so a host function that never settles cannot hold it. */
  readonly cancelled: Promise<never>;
  private rejectCancelled!: (reason: unknown) => void;
  private over = false;

  constructor(readonly fn: string, spans: SpanRef[], traceParent: Span = noopSpan) {
    this.spans = spans;
    this.traceParent = traceParent;
    this.cancelled = new Promise<never>((_, reject) => (this.rejectCancelled = reject));
    this.cancelled.catch(() => undefined); // only awaited while a host function runs
  }

  /** Settles a host function wait at once; the vCPU itself is stopped by the caller (vm.kill). */
  cancel(): void {
    if (!this.over) this.rejectCancelled(CANCELLED);
  }

  /** The work is over: a later cancel() does nothing. */
  end(): void {
    this.over = true;
  }
}
