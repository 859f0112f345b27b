// lib.ts: shared pieces of the benchmarks: statistics and the raw-KVM baseline.
import * as path from 'node:path';

export const root = path.join(__dirname, '..', '..');
export const simpleguest = path.join(root, 'guests', 'bin', 'simpleguest.bin');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

export const nowUs = () => Number(process.hrtime.bigint()) / 1000;

export { type RawBaseline, rawBaseline } from '../src/cli/raw-baseline';

export interface Row {
  scenario: string;
  hl: number;
  baseline: number;
  baselineName: string;
  unit: string;
}

export function printRows(rows: Row[]): void {
  const w = Math.max(...rows.map((r) => r.scenario.length));
  console.log(`${'scenario'.padEnd(w)}  ${'hl'.padStart(10)}  ${'baseline'.padStart(10)}  ratio  baseline is`);
  for (const r of rows) {
    console.log(`${r.scenario.padEnd(w)}  ${(r.hl.toFixed(1) + r.unit).padStart(10)}  ${(r.baseline.toFixed(1) + r.unit).padStart(10)}  ${(r.hl / r.baseline).toFixed(2)}x  ${r.baselineName}`);
  }
}

/** Median µs of a warm `Echo("hello")` call, after 200 unmeasured ones. */
export async function echoMedianUs(sb: { call(name: string, args: unknown[]): Promise<unknown> }, n: number): Promise<number> {
  for (let i = 0; i < 200; i++) await sb.call('Echo', ['warm']);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = nowUs();
    await sb.call('Echo', ['hello']);
    times.push(nowUs() - t0);
  }
  return median(times);
}
