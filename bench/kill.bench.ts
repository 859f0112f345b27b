// kill: from sandbox.kill() on the JS thread to the rejected call promise,
// for a guest spinning in Spin(), against the raw C kick (immediate_exit +
// pthread_kill until KVM_RUN returns in the spinning thread).
import { Sandbox } from '../src/sandbox';
import { median, nowUs, type RawBaseline, type Row, simpleguest } from './lib';

export async function benchKill(n: number, raw: RawBaseline): Promise<Row[]> {
  const sb = await Sandbox.create(simpleguest);
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const call = sb.call('Spin');
    await new Promise((r) => setTimeout(r, 2)); // the guest is spinning by now
    const t0 = nowUs();
    sb.kill();
    await call.catch(() => undefined);
    lat.push(nowUs() - t0);
    sb.restore();
  }
  sb.dispose();
  return [{ scenario: 'kill to rejected promise', hl: median(lat), baseline: raw.killUs, baselineName: 'raw C kick to KVM_RUN return', unit: 'us' }];
}
