// soak-driver.ts: runs a soak in a plain Node process (no test-runner hooks
// holding on to promises) and prints JSON: fds and RSS before and after.
// Usage: node --expose-gc soak-driver.js cycles|restores N
import { readdirSync } from 'node:fs';
import { Sandbox } from '../src/sandbox';
import { simpleguest } from './helpers';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const fds = () => readdirSync('/proc/self/fd').length;
const rss = () => (gc(), process.memoryUsage.rss());
/** The fd count once teardowns in flight (on vCPU threads) are done: stable for 50 ms. */
const settle = async () => {
  let last = fds();
  for (let stable = 0, i = 0; stable < 5 && i < 300; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const now = fds();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  return last;
};

async function main(): Promise<void> {
  const mode = process.argv[2];
  const n = Number(process.argv[3] ?? 10_000);
  let wrong = 0;
  let step: (i: number) => Promise<void>;
  let sb: Sandbox | undefined;
  if (mode === 'cycles') {
    step = async (i) => {
      const s = await Sandbox.create(simpleguest);
      if ((await s.call('EchoI32', [i])) !== i) wrong++;
      s.dispose();
    };
  } else {
    sb = await Sandbox.create(simpleguest);
    step = async (i) => {
      await sb!.call('Malloc', [64 * 1024]);
      if ((await sb!.call('SetStatic', [i])) !== i) wrong++;
      sb!.restore();
    };
  }
  for (let i = 0; i < 500; i++) await step(i);
  const before = { fds: await settle(), rss: rss() };
  for (let i = 0; i < n / 2; i++) await step(i);
  // Allocator arenas of the vCPU threads warm up over the first thousands of
  // cycles; "flat" means the second half adds (almost) nothing.
  const middle = { fds: await settle(), rss: rss() };
  for (let i = n / 2; i < n; i++) await step(i);
  const after = { fds: await settle(), rss: rss() };
  const staticAfter = sb ? await sb.call('GetStatic') : 0;
  sb?.dispose();
  process.stdout.write(JSON.stringify({ mode, n, wrong, before, middle, after, staticAfter }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
