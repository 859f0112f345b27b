// Prints the span tree of a few sandbox operations, as Hyperlight's
// tracing_forest example does. Run: node dist/examples/tracing/index.js
// (RUST_LOG=info hides the trace-level spans; unset, every span shows.)
import * as path from 'node:path';
import { Sandbox, traceTree, guestsPath } from '../../src/sandbox';

async function main(): Promise<void> {
  const tree = traceTree(); // collect hl's spans from here on
  const guest = path.join(guestsPath(), 'simpleguest.bin'); // the package's sample guests, wherever it is installed
  const sandbox = await Sandbox.create(guest, {
    hostFunctions: [{ name: 'HostAdd', params: ['int32', 'int32'], returns: 'int32', fn: (a: number, b: number) => a + b }],
  });
  await sandbox.call('Add', [40, 2]); // a guest call with a host call inside
  await sandbox.call('Traced', [3]); // a guest that opens spans of its own
  await sandbox.call('GuestError', [1001, 'shown on the span']).catch(() => undefined);
  sandbox.restore();
  sandbox.dispose();
  tree.stop();
  process.stdout.write(tree.render({ color: process.stdout.isTTY }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
