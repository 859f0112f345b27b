// guest-clock.ts: places the guest's TSC stamps (guest spans) on the host's
// clock. The guest stamps its TSC at the start of a call (start_tsc, right
// after the first VM entry) and at each span record; the host knows when each
// vCPU run began and ended (the `vcpu_run` spans). start_tsc is mapped to the
// start of the first run (the host's clock read just before it entered the
// guest, so no earlier than the true moment), later stamps follow at
// KVM_GET_TSC_KHZ, and a stamp that lands where the guest was not running (in
// a gap between two runs, while the host served an exit) moves to the start
// of the next run: the guest cannot have run then, and the mapping can only
// be early, never late. So a guest span never starts before the vCPU run that
// ran it, nor ends after the last.

/** At most this many runs are kept per call; later ones widen the last (a guest chooses how many exits a call makes). */
export const MAX_RUN_INTERVALS = 4096;

/** The host times (epoch ms) of a call's vCPU runs, in order. */
export class RunIntervals {
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  add(startMs: number, endMs: number): void {
    if (this.starts.length < MAX_RUN_INTERVALS) {
      this.starts.push(startMs);
      this.ends.push(endMs);
    } else this.ends[this.ends.length - 1] = endMs;
  }

  get length(): number {
    return this.starts.length;
  }
}

/**
 * The function from a guest TSC stamp to epoch ms. `fallbackMs` places every
 * stamp when nothing better is known (no run recorded, or no TSC rate).
 */
export function guestClock(startTsc: bigint, tscKhz: number, runs: RunIntervals, fallbackMs: number): (tsc: bigint) => number {
  const n = runs.length;
  if (n === 0) return () => fallbackMs;
  const first = runs.starts[0];
  const last = runs.ends[n - 1];
  if (!(tscKhz > 0)) return () => first;
  return (tsc: bigint) => {
    const ms = first + Number(tsc - startTsc) / tscKhz;
    if (!(ms > first)) return first; // before the call's first entry (or NaN): the entry
    if (ms >= last) return last;
    // The first run that ends at or after ms: inside it, or in the gap before it.
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (runs.ends[mid] >= ms) hi = mid;
      else lo = mid + 1;
    }
    return Math.max(ms, runs.starts[lo]);
  };
}
