// lib.ts: shared pieces of the benchmarks: statistics and the raw-KVM baseline.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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

export interface RawBaseline {
  lifecycleUs: number;
  callUs: number;
  killUs: number;
}

/** Builds bench/raw_kvm.c with the system gcc and runs it with the same memory size. */
export function rawBaseline(iterations: number, memBytes: number): RawBaseline {
  const out = path.join(root, 'build', 'bench');
  mkdirSync(out, { recursive: true });
  const exe = path.join(out, 'raw_kvm');
  execFileSync('gcc', ['-O2', '-I', path.join(root, 'guests/sdk/include'), '-o', exe, path.join(root, 'bench/raw_kvm.c'), '-lpthread']);
  return JSON.parse(execFileSync(exe, [String(iterations), String(memBytes)], { encoding: 'utf8' }));
}

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
