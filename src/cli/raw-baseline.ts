// raw-baseline.ts: builds and runs bench/raw_kvm.c, the same KVM steps hl takes
// in plain C, so hl's overhead can be read as a ratio on this machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ErrorCode, HlError } from '../errors';
import { packageRoot } from '../package-root';

export interface RawBaseline {
  /** Median µs: create VM + memory + vCPU, run to the first exit, close. */
  lifecycleUs: number;
  /** Median µs: set registers and run to the done-exit. */
  callUs: number;
  /** Median µs: kick a spinning guest until KVM_RUN returns. */
  killUs: number;
}


export function rawBaseline(iterations: number, memBytes: number): RawBaseline {
  const root = packageRoot();
  const source = path.join(root, 'bench', 'raw_kvm.c');
  let exe: string;
  try {
    const dir = path.join(tmpdir(), `hl-raw-kvm-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true });
    exe = path.join(dir, `raw_kvm-${Math.floor(statSync(source).mtimeMs)}`);
    try {
      statSync(exe);
    } catch {
      execFileSync('gcc', ['-O2', '-I', path.join(root, 'guests/sdk/include'), '-o', exe, source, '-lpthread'], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
  } catch (err) {
    throw new HlError(ErrorCode.Internal, `cannot build the raw-KVM baseline (needs gcc): ${(err as Error).message.split('\n')[0]}`, {}, { cause: err });
  }
  return JSON.parse(execFileSync(exe, [String(iterations), String(memBytes)], { encoding: 'utf8' })) as RawBaseline;
}
