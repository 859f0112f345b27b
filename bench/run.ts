// run.ts: runs every benchmark with its baseline in the same run and prints
// medians and ratios (docs/performance.md records them). Not a test.
// Usage: npm run bench [-- --quick] [-- --json]
import { benchCli } from './cli-run.bench';
import { benchCreate } from './sandbox-create.bench';
import { benchEcho } from './echo-call.bench';
import { benchKill } from './kill.bench';
import { benchRestore } from './restore.bench';
import { benchTracing } from './otlp-call.bench';
import { printRows, rawBaseline, type Row } from './lib';
import { Sandbox } from '../src/sandbox';
import { simpleguest } from './lib';

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const json = process.argv.includes('--json');
  const probe = await Sandbox.create(simpleguest);
  const memBytes = probe.layout.memSize;
  probe.dispose();
  const raw = rawBaseline(quick ? 200 : 1000, memBytes);
  const rows: Row[] = [
    ...(await benchCreate(quick ? 100 : 500, raw)),
    ...(await benchEcho(quick ? 2000 : 20000, raw)),
    ...(await benchKill(quick ? 100 : 500, raw)),
    ...(await benchRestore(quick ? 500 : 5000, raw)),
    ...(await benchTracing(quick ? 2000 : 10000)),
    ...benchCli(quick ? 10 : 30),
  ];
  if (json) console.log(JSON.stringify({ memBytes, raw, rows }, null, 2));
  else {
    console.log(`guest memory ${memBytes} bytes; raw baseline: lifecycle ${raw.lifecycleUs} us, call ${raw.callUs} us, kill ${raw.killUs} us`);
    printRows(rows);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
