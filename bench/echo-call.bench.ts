// echo-call: a warm Echo call from JS (await sandbox.call) against the raw C
// "set registers + KVM_RUN to the done-exit" round trip.
import { Sandbox } from '../src/sandbox';
import { echoMedianUs, median, nowUs, type RawBaseline, type Row, simpleguest } from './lib';

export async function benchEcho(n: number, raw: RawBaseline): Promise<Row[]> {
  const sb = await Sandbox.create(simpleguest);
  const echo = await echoMedianUs(sb, n);
  const hostCall: number[] = [];
  const withHost = await Sandbox.create(simpleguest, {
    hostFunctions: [{ name: 'HostAdd', params: ['int32', 'int32'], returns: 'int32', fn: (a: number, b: number) => a + b }],
  });
  for (let i = 0; i < n; i++) {
    const t0 = nowUs();
    await withHost.call('Add', [1, 2]);
    hostCall.push(nowUs() - t0);
  }
  sb.dispose();
  withHost.dispose();
  return [
    { scenario: 'warm Echo call', hl: echo, baseline: raw.callUs, baselineName: 'raw C set regs + run to done', unit: 'us' },
    { scenario: 'warm Add call (1 host call)', hl: median(hostCall), baseline: 2 * raw.callUs, baselineName: '2 x raw C round trip', unit: 'us' },
  ];
}
