// restore: what restore() costs now that it puts the whole vCPU state back
// (XSAVE image, XCR0, MSRs, debug registers, events; special registers only
// when they changed), after a warm Echo call, and Echo + restore as one
// cycle, against the raw C round trip. Also the per-call entry state: the
// SDK's fninit + ldmxcsr, timed natively (they run at native speed in ring 3).
import { Sandbox } from '../src/sandbox';
import { median, nowUs, type RawBaseline, type Row, simpleguest } from './lib';

export async function benchRestore(n: number, raw: RawBaseline): Promise<Row[]> {
  const sb = await Sandbox.create(simpleguest);
  for (let i = 0; i < 200; i++) {
    await sb.call('Echo', ['warm']);
    sb.restore();
  }
  const restore: number[] = [];
  const cycle: number[] = [];
  const faulted: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = nowUs();
    await sb.call('Echo', ['hello']);
    const t1 = nowUs();
    sb.restore();
    const t2 = nowUs();
    restore.push(t2 - t1);
    cycle.push(t2 - t0);
  }
  // After a fault the special registers differ (CR2 at least): KVM_SET_SREGS
  // runs too, and the shadow MMU starts over.
  for (let i = 0; i < Math.min(n, 200); i++) {
    await sb.call('ReadNull', []).catch(() => undefined);
    const t0 = nowUs();
    sb.restore();
    await sb.call('Echo', ['hello']);
    faulted.push(nowUs() - t0);
    sb.restore();
  }
  sb.dispose();
  return [
    { scenario: 'restore() after Echo', hl: median(restore), baseline: raw.callUs, baselineName: 'raw C round trip', unit: 'us' },
    { scenario: 'Echo + restore()', hl: median(cycle), baseline: raw.callUs, baselineName: 'raw C round trip', unit: 'us' },
    { scenario: 'restore() after a fault + Echo', hl: median(faulted), baseline: raw.callUs, baselineName: 'raw C round trip', unit: 'us' },
  ];
}
