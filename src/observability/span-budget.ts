// span-budget.ts: caps the spans one guest call (or init) can add under its
// span. The guest decides how many VM exits, host calls and guest spans a call
// makes, and every recorded span is kept by a consumer (the --trace tree holds
// them all, an exporter queues them), so without a cap a guest grows the host
// by ~350 bytes per exit. Past the cap children are dropped and counted; the
// count lands on the parent as `hl.spans_dropped` when the call ends.
import type { LevelValue } from './log-filter';
import { type Attrs, type AttrValue, type Span, noopSpan } from './tracing';

/** Host-side spans (`vcpu_run`, `host_function`) one call records under its span. */
export const MAX_SPANS_PER_CALL = 1024;
/** Guest spans (`hl_span_begin`) one call records; the 32 KiB trace buffer holds at most 1,364. */
export const MAX_GUEST_SPANS_PER_CALL = 1024;

/** The attribute on the call (or guest_init) span that counts what was dropped. */
export const SPANS_DROPPED = 'hl.spans_dropped';

/**
 * A stand-in for `parent` whose child() records at most `limit` spans; the
 * rest are the no-op span. Children of those children are not counted here.
 */
export class SpanBudget implements Span {
  private used = 0;
  private droppedHere = 0;

  constructor(
    private readonly parent: Span,
    private readonly limit = MAX_SPANS_PER_CALL,
  ) {}

  get recording(): boolean {
    return this.parent.recording;
  }

  get traceId(): string | undefined {
    return this.parent.traceId;
  }

  get dropped(): number {
    return this.droppedHere;
  }

  /** True while a span may be added (and counts it); false counts a drop. For spans made elsewhere (guest spans). */
  take(): boolean {
    if (this.used < this.limit) {
      this.used++;
      return true;
    }
    this.droppedHere++;
    return false;
  }

  child(name: string, level: LevelValue, target: string, attributes?: Attrs, startMs?: number): Span {
    if (!this.parent.recording) return noopSpan; // tracing off: no counting either
    if (this.used >= this.limit) {
      this.droppedHere++;
      return noopSpan;
    }
    const span = this.parent.child(name, level, target, attributes, startMs);
    if (span.recording) this.used++; // a span the filter skipped costs nothing
    return span;
  }

  setAttribute(key: string, value: AttrValue): void {
    this.parent.setAttribute(key, value);
  }

  addEvent(name: string, attributes?: Attrs, timeMs?: number): void {
    this.parent.addEvent(name, attributes, timeMs);
  }

  recordError(err: unknown): void {
    this.parent.recordError(err);
  }

  /** Ending belongs to the parent's owner; a budget never ends it. */
  end(): void {}
}

/** Sets `hl.spans_dropped` on `span` to what the budgets dropped (nothing when none was). */
export function reportDropped(span: Span, ...budgets: SpanBudget[]): void {
  const dropped = budgets.reduce((n, b) => n + b.dropped, 0);
  if (dropped > 0) span.setAttribute(SPANS_DROPPED, dropped);
}
