// units.ts: sizes ("4MiB", "64k") and durations ("500ms", "2s") on the command line.
import { usage } from '../errors';

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
  t: 1024 ** 4, tb: 1000 ** 4, tib: 1024 ** 4,
};

export function parseSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw usage(`${flag}: "${text}" is not a size (examples: 65536, 64KiB, 4MiB)`);
  const n = Math.round(Number(m[1]) * unit);
  if (n <= 0) throw usage(`${flag}: "${text}" is not more than 0 bytes`);
  if (!Number.isSafeInteger(n)) throw usage(`${flag}: "${text}" is too big`);
  return n; // the layout says how much is allowed, naming the flag
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** The longest timer Node.js keeps (2^31-1 ms, about 24.8 days). */
const MAX_MS = 2 ** 31 - 1;

/** A duration with its unit ("500ms", "2s", "1.5m", "1h"); a bare number is refused, not guessed. `zeroOk` lets "0" (with or without a unit) mean none. */
export function parseDuration(text: string, flag: string, zeroOk = false): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (m && m[2] === '' && Number(m[1]) !== 0) throw usage(`${flag}: "${text}" needs a unit: ${m[1]}ms, ${m[1]}s, ${m[1]}m or ${m[1]}h`);
  const unit = m ? (m[2] === '' ? 1 : TIME_UNITS[m[2].toLowerCase()]) : undefined;
  if (!m || unit === undefined) throw usage(`${flag}: "${text}" is not a duration (examples: 500ms, 2s, 1m, 1h)`);
  const ms = Number(m[1]) * unit;
  if (ms === 0 && zeroOk) return 0;
  if (!(ms >= 1) || ms > MAX_MS) throw usage(`${flag}: "${text}" is out of range: from ${zeroOk ? '0' : '1ms'} to ${Math.floor(MAX_MS / 3_600_000)}h`);
  return ms;
}

/** A commander parser for a whole-number flag of at least `min`. */
export function parseCount(flag: string, min: number): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw usage(`${flag}: "${v}" is not a whole number >= ${min}`);
    return Number(v);
  };
}
