// profile.ts: a sampling profile of guest code. The addon samples RIP and
// the frame-pointer chain while a call runs (native/kvm/kvm_sampling.cc);
// this names the frames with the image's symbols and folds them into stacks
// (flamegraph.pl's input format), or draws a flame graph.
import { flameGraphSvg } from '../observability/flamegraph';
import type { SymbolTable } from './symbols';

export const DEFAULT_PROFILE_HZ = 997; // >= 500 Hz, and prime: no lock-step with periodic guest work
export const DEFAULT_MAX_SAMPLES = 1_000_000;
/** Distinct stacks a profile keeps; past it, new ones count as "[other stacks]". */
export const MAX_STACKS = 50_000;

export interface RawSamples {
  frames: BigUint64Array;
  starts: Uint32Array;
  dropped: number;
}

/** Pass as `profile` in CallOptions (or use `hl run --profile`); samples accumulate over calls. */
export class GuestProfile {
  readonly hz: number;
  readonly maxSamples: number;
  /** Samples per folded stack ("outer;...;inner"). */
  readonly stacks = new Map<string, number>();
  samples = 0;
  dropped = 0;

  constructor(options: { hz?: number; maxSamples?: number } = {}) {
    this.hz = options.hz ?? DEFAULT_PROFILE_HZ;
    this.maxSamples = options.maxSamples ?? DEFAULT_MAX_SAMPLES;
    if (!Number.isInteger(this.hz) || this.hz < 1 || this.hz > 100_000) throw new RangeError(`profile rate must be 1-100000 Hz, got ${this.hz}`);
    if (!Number.isInteger(this.maxSamples) || this.maxSamples < 1 || this.maxSamples > 10_000_000) throw new RangeError(`maxSamples must be 1-10000000, got ${this.maxSamples}`);
  }

  /** Samples this profile may still take (maxSamples is for the whole profile, over calls). */
  get remaining(): number {
    return Math.max(0, this.maxSamples - this.samples);
  }

  /** Adds a call's samples, naming frames with the guest's symbols. */
  add(raw: RawSamples, symbols: SymbolTable): void {
    this.dropped += raw.dropped;
    const n = raw.starts.length;
    for (let i = 0; i < n; i++) {
      const from = raw.starts[i];
      const to = i + 1 < n ? raw.starts[i + 1] : raw.frames.length;
      const names: string[] = [];
      for (let k = to - 1; k >= from; k--) {
        const addr = Number(raw.frames[k]);
        if (addr === 0) names.push('[host exception stub]');
        // A return address points after its call: name the call's own byte.
        else names.push(symbols.name(k === from ? addr : addr - 1));
      }
      let key = names.map(clean).join(';');
      if (!this.stacks.has(key) && this.stacks.size >= MAX_STACKS) key = '[other stacks]'; // a guest that makes every stack unique
      this.stacks.set(key, (this.stacks.get(key) ?? 0) + 1);
      this.samples++;
    }
  }

  /** flamegraph.pl's input: one "frame;frame;frame count" line per stack. */
  folded(): string {
    return [...this.stacks].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k} ${v}\n`).join('');
  }

  /** A self-contained SVG flame graph. */
  svg(title = 'guest profile'): string {
    return flameGraphSvg(this.stacks, { title, subtitle: `${this.samples} samples at ${this.hz} Hz${this.dropped ? `, ${this.dropped} dropped` : ''}` });
  }
}

/** A frame name as the folded format can carry it: no `;` (the separator), no
 * whitespace (the count follows the last space), no control characters. */
function clean(name: string): string {
  return name.replace(/[;\s\x00-\x1f\x7f]/g, '_') || '?';
}
