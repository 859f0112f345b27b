// cli-run: `hl run simpleguest.bin --fn Echo --arg hello` as a whole process
// against `node -e 0`: what the command loads beyond Node itself.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { median, nowUs, root, type Row, simpleguest } from './lib';

function timeProcess(args: string[], n: number): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = nowUs();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    times.push(nowUs() - t0);
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  }
  return median(times) / 1000;
}

export function benchCli(n: number): Row[] {
  const hl = path.join(root, 'bin', 'hl');
  timeProcess(['-e', '0'], 3); // warm the page cache
  const node = timeProcess(['-e', '0'], n);
  const run = timeProcess([hl, 'run', simpleguest, '--fn', 'Echo', '--arg', 'hello'], n);
  return [{ scenario: 'hl run --fn Echo (process)', hl: run, baseline: node, baselineName: 'node -e 0', unit: 'ms' }];
}
