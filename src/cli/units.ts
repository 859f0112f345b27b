// units.ts: sizes ("4MiB", "64k") and durations ("500ms", "2s") on the command line.
import { usage } from '../sandbox/errors';

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
};

export function parseSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw usage(`${flag}: "${text}" is not a size (examples: 65536, 64KiB, 4MiB)`);
  const n = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n) || n <= 0) throw usage(`${flag}: "${text}" is out of range`);
  return n;
}

const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, us: 0.001 };

export function parseDuration(text: string, flag: string, zeroOk = false): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|us)?\s*$/i.exec(text);
  if (!m) throw usage(`${flag}: "${text}" is not a duration (examples: 500ms, 2s, 1m)`);
  const ms = Number(m[1]) * TIME_UNITS[(m[2] ?? 's').toLowerCase()];
  if (!Number.isFinite(ms) || ms < 0 || (ms === 0 && !zeroOk) || ms > 2 ** 31 - 1) throw usage(`${flag}: "${text}" is out of range`);
  return ms;
}

/** A commander parser for a whole-number flag of at least `min`. */
export function parseCount(flag: string, min: number): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw usage(`${flag}: "${v}" is not a whole number >= ${min}`);
    return Number(v);
  };
}
