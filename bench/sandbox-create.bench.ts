// sandbox-create: Sandbox.create to a callable guest, and create + first call + dispose,
// against the raw C lifecycle (CREATE_VM .. first exit .. close). As in the raw
// program, one idle VM stays alive meanwhile.
import { Sandbox } from '../src/sandbox';
import { median, nowUs, type RawBaseline, type Row, simpleguest } from './lib';

export async function benchCreate(n: number, raw: RawBaseline): Promise<Row[]> {
  const keep = await Sandbox.create(simpleguest);
  const create: number[] = [];
  const cycle: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = nowUs();
    const sb = await Sandbox.create(simpleguest);
    const t1 = nowUs();
    await sb.call('Echo', ['x']);
    sb.dispose();
    const t2 = nowUs();
    create.push(t1 - t0);
    cycle.push(t2 - t0);
  }
  keep.dispose();
  return [
    { scenario: 'sandbox create (ready to call)', hl: median(create), baseline: raw.lifecycleUs, baselineName: 'raw C VM lifecycle', unit: 'us' },
    { scenario: 'create + Echo + dispose', hl: median(cycle), baseline: raw.lifecycleUs, baselineName: 'raw C VM lifecycle', unit: 'us' },
  ];
}
